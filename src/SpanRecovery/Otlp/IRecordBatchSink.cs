using System.Buffers;

namespace SpanRecovery.Otlp;

/// <summary>
/// One framed record: its bytes (in the pipe's buffer, any segmentation) and its offset in the input.
/// <paramref name="Tentative"/>: a JSON line not yet tokenized, a record only if it is exactly one valid document.
/// </summary>
internal readonly record struct FramedRecord(ReadOnlySequence<byte> Bytes, long Offset, bool Tentative = false);

/// <summary>
/// A record sink that takes the records of a pipe buffer together, so it may parse them on several cores.
/// Records still reach it in input order, and problems between them (an oversized record, bad JSON) only
/// after the records before them.
/// </summary>
internal interface IRecordBatchSink : IRecordSink
{
    /// <summary>
    /// Records of one encoding, in input order; their bytes are only valid during the call, so everything is
    /// parsed before it returns. The list is reused afterwards. Returns how many records were taken: all, or
    /// those before the first tentative one that is not exactly one valid document, which the framing then
    /// frames again, from that record on.
    /// </summary>
    int OnRecords(List<FramedRecord> records, RecordEncoding encoding);
}
