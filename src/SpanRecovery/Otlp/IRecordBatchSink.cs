using System.Buffers;

namespace SpanRecovery.Otlp;

/// <summary>One whole framed record: its bytes (in the pipe's buffer, any segmentation) and its offset in the input.</summary>
internal readonly record struct FramedRecord(ReadOnlySequence<byte> Bytes, long Offset);

/// <summary>
/// A record sink that takes the records of a pipe buffer together, so it may parse them on several cores.
/// Records still reach it in input order, and problems between them (an oversized record, bad JSON) only
/// after the records before them.
/// </summary>
internal interface IRecordBatchSink : IRecordSink
{
    /// <summary>
    /// Records of one encoding, in input order; their bytes are only valid during the call, so everything is
    /// parsed before it returns. The list is reused afterwards.
    /// </summary>
    void OnRecords(List<FramedRecord> records, RecordEncoding encoding);
}

/// <summary>How the framing readers hand a buffer's records to an <see cref="IRecordBatchSink"/>.</summary>
internal static class RecordBatches
{
    /// <summary>Hands over the records collected so far (if any) and empties the list.</summary>
    public static void HandOver(IRecordBatchSink? sink, List<FramedRecord> batch, RecordEncoding encoding)
    {
        if (sink is null || batch.Count == 0)
            return;
        sink.OnRecords(batch, encoding);
        batch.Clear();
    }
}
