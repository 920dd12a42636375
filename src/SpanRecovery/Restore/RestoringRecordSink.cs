using System.Buffers;
using SpanRecovery.Otlp;
using SpanRecovery.Repository;

namespace SpanRecovery.Restore;

/// <summary>
/// The record stage of a restore: keeps the spans the selection keeps (all of them, or those that ended by
/// the point in time), writes each record without the others to the output, its times moved when the restore
/// shifts them, and tallies both what it read (to compare with the manifests, before any shift) and what it
/// kept (as written, after the shift). A record that cannot be read is reported and left out;
/// the backup recorded it as a finding when it captured it.
/// </summary>
internal sealed class RestoringRecordSink : IRecordSink
{
    private readonly string _path;
    private readonly IRecordOutput _output;
    private readonly SpanPredicate _keep;
    private readonly KeptSpans _kept;
    private readonly TextWriter? _log;
    private readonly ISpanSink _keptTally;
    private readonly long _shiftNanos;
    private readonly ArrayBufferWriter<byte> _filtered = new(64 * 1024);
    private readonly ArrayBufferWriter<byte> _shifted = new();

    /// <param name="kept">Tallies the spans kept, as written.</param>
    /// <param name="shiftNanos">Moves every written span's times (0: written as read).</param>
    public RestoringRecordSink(string path, IRecordOutput output, SpanSelection selection, ISpanSink kept, long shiftNanos, TextWriter? log)
    {
        (_path, _output, _log, _keptTally, _shiftNanos) = (path, output, log, kept, shiftNanos);
        // Shifted spans are tallied from the shifted record, so the tally matches what the target holds.
        _kept = new KeptSpans(selection, shiftNanos == 0 ? kept : null);
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
        if (_shiftNanos == 0)
        {
            _output.Write(_filtered.WrittenSpan, encoding);
            return;
        }

        _shifted.ResetWrittenCount();
        SpanTimeShifter.Shift(_filtered.WrittenSpan, encoding, _shiftNanos, _shifted);
        if (encoding == RecordEncoding.Json)
            JsonTracesParser.Parse(_shifted.WrittenSpan, offset, _keptTally);
        else
            ProtobufTracesParser.Parse(_shifted.WrittenSpan, offset, _keptTally);
        _output.Write(_shifted.WrittenSpan, encoding);
    }

    public void OnInputProblem(InputProblem problem) =>
        _log?.WriteLine($"{_path}: offset {problem.Offset}: {problem.Message} (not restored)");

    /// <summary>Kept spans go to the selection (which remembers the first chain's) and, unless they are shifted, to the tally.</summary>
    private readonly struct KeptSpans(SpanSelection selection, ISpanSink? kept) : ISpanSink
    {
        public void OnSpan(in SpanView span)
        {
            selection.OnSpan(span);
            kept?.OnSpan(span);
        }

        public void OnInputProblem(InputProblem problem) => kept?.OnInputProblem(problem);
    }
}
