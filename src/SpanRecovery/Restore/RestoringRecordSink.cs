using System.Buffers;
using SpanRecovery.Otlp;
using SpanRecovery.Repository;

namespace SpanRecovery.Restore;

/// <summary>
/// The record stage of a restore: keeps the spans the selection keeps (all of them, or those that ended by
/// the point in time), writes each record without the others to the output, and tallies what it kept.
/// A record that cannot be read is reported and left out; the backup recorded it as a finding when it
/// captured it.
/// </summary>
internal sealed class RestoringRecordSink(string path, IRecordOutput output, SpanPredicate keep, SegmentSpanSink kept, TextWriter? log) : IRecordSink
{
    private readonly ArrayBufferWriter<byte> _filtered = new(64 * 1024);

    public long SpansDropped { get; private set; }

    public long Problems { get; private set; }

    public void OnFormat(InputDescription format) => output.OnFormat(format);

    public void OnRecord(ReadOnlySpan<byte> record, long offset, RecordEncoding encoding)
    {
        _filtered.ResetWrittenCount();
        var result = encoding == RecordEncoding.Json
            ? JsonRecordFilter.Filter(record, offset, keep, _filtered, kept)
            : ProtobufRecordFilter.Filter(record, offset, keep, _filtered, kept);
        SpansDropped += result.Dropped;
        if (_filtered.WrittenCount == 0)
            return;
        output.Write(_filtered.WrittenSpan, encoding);
    }

    public void OnInputProblem(InputProblem problem)
    {
        Problems++;
        log?.WriteLine($"spanrecovery: {path}: offset {problem.Offset}: {problem.Message} (not restored)");
    }
}
