using System.Buffers;

namespace SpanRecovery.Otlp;

/// <summary>One whole framed record: its bytes (in the pipe's buffer, any segmentation) and its offset in the input.</summary>
internal readonly record struct FramedRecord(ReadOnlySequence<byte> Bytes, long Offset);

/// <summary>
/// A record sink that takes the protobuf records of a pipe buffer together, so it may parse them on several
/// cores. Records still reach it in input order, and problems between them (an oversized record) only after
/// the records before them.
/// </summary>
internal interface IRecordBatchSink : IRecordSink
{
    /// <summary>
    /// Protobuf records, in input order; their bytes are only valid during the call, so everything is parsed
    /// before it returns. The list is reused afterwards.
    /// </summary>
    void OnRecords(List<FramedRecord> records);
}
