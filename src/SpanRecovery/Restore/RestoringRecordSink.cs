using System.Buffers;
using SpanRecovery.Otlp;
using SpanRecovery.Repository;

namespace SpanRecovery.Restore;

/// <summary>
/// The record stage of a restore: keeps the spans the selection keeps (all of them, or those that ended by
/// the point in time), writes each record without the others to the output, and tallies both what it read
/// (to compare with the manifests) and what it kept. A record that cannot be read is reported and left out;
/// the backup recorded it as a finding when it captured it.
/// </summary>
internal sealed class RestoringRecordSink : IRecordSink
{
    private readonly string _path;
    private readonly IRecordOutput _output;
    private readonly SpanPredicate _keep;
    private readonly KeptSpans _kept;
    private readonly TextWriter? _log;
    private readonly ArrayBufferWriter<byte> _filtered = new(64 * 1024);

    public RestoringRecordSink(string path, IRecordOutput output, SpanSelection selection, SegmentSpanTally kept, TextWriter? log)
    {
        (_path, _output, _log) = (path, output, log);
        _kept = new KeptSpans(selection, kept);
        _keep = (in SpanView span) =>
        {
            SpansRead++;
            unchecked
            {
                DigestRead += span.ContentHash;
            }

            return selection.Keep(span);
        };
    }

    /// <summary>Every span read, kept or not: what the manifests recorded for the file.</summary>
    public long SpansRead { get; private set; }

    /// <summary>The span digest (docs/repository.md) of every span read.</summary>
    public ulong DigestRead { get; private set; }

    public long SpansDropped { get; private set; }

    public void OnFormat(InputDescription format) => _output.OnFormat(format);

    public void OnRecord(ReadOnlySpan<byte> record, long offset, RecordEncoding encoding)
    {
        _filtered.ResetWrittenCount();
        var result = encoding == RecordEncoding.Json
            ? JsonRecordFilter.Filter(record, offset, _keep, _filtered, _kept)
            : ProtobufRecordFilter.Filter(record, offset, _keep, _filtered, _kept);
        SpansDropped += result.Dropped;
        if (_filtered.WrittenCount == 0)
            return;
        _output.Write(_filtered.WrittenSpan, encoding);
    }

    public void OnInputProblem(InputProblem problem) =>
        _log?.WriteLine($"{_path}: offset {problem.Offset}: {problem.Message} (not restored)");

    /// <summary>Kept spans go to the tally and to the selection (which remembers the first chain's).</summary>
    private readonly struct KeptSpans(SpanSelection selection, SegmentSpanTally kept) : ISpanSink
    {
        public void OnSpan(in SpanView span)
        {
            selection.OnSpan(span);
            kept.OnSpan(span);
        }

        public void OnInputProblem(InputProblem problem) => kept.OnInputProblem(problem);
    }
}
