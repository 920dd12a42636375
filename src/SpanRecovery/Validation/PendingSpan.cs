namespace SpanRecovery.Validation;

/// <summary>
/// What the table rules need of one span, handed from the reader thread to the table (or to a partition
/// file): its key, parent, folded content hash and where it was read (input, record offset and its ordinal
/// among the record's spans). A span whose span_id is unusable but
/// whose trace_id is well formed travels as <see cref="TraceOnly"/>: it enters no table, yet its trace counts.
/// </summary>
internal readonly record struct PendingSpan(
    UInt128 TraceId, ulong SpanId, ulong ParentSpanId, uint ContentHash, int Input, long Offset, int Ordinal, bool IsInvalid, bool TraceOnly)
{
    /// <summary>The 32 bits of the 64-bit content hash that the table keeps (identical-or-not is decided on these).</summary>
    public static uint Fold(ulong contentHash) => (uint)(contentHash ^ (contentHash >> 32));
}

/// <summary>Where <see cref="TableStage"/> delivers batches of spans, in input order, on its own thread.</summary>
internal interface ISpanBatchTarget
{
    void Enter(ReadOnlySpan<PendingSpan> batch);
}
