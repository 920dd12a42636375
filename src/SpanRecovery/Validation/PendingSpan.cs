namespace SpanRecovery.Validation;

/// <summary>
/// What the table rules need of one span, handed from the reader thread to the table (or to a partition
/// file): its key, parent, times, kind, folded content hash, the rules it broke on its own
/// (<see cref="Rules"/>, a <see cref="RuleSet"/>'s bits: they count for its trace) and where it was read
/// (input, record offset and its ordinal among the record's spans).
/// <see cref="ParentSpanId"/> is 0 for a root (parent_span_id empty or all zero) and the span's own ID when
/// the parent cannot be followed (wrong length, not hex, the span itself): such a span is neither a root nor
/// a child. A span whose span_id is unusable but whose trace_id is well formed travels as
/// <see cref="TraceOnly"/>: it enters no table, yet its trace counts, and so do its findings.
/// </summary>
internal readonly record struct PendingSpan(
    UInt128 TraceId, ulong SpanId, ulong ParentSpanId, uint ContentHash, int Input, long Offset, int Ordinal, bool IsInvalid, bool TraceOnly,
    ulong Start, ulong End, int Kind, uint Rules)
{
    /// <summary>The 32 bits of the 64-bit content hash that the table keeps (identical-or-not is decided on these).</summary>
    public static uint Fold(ulong contentHash) => (uint)(contentHash ^ (contentHash >> 32));
}

/// <summary>Where <see cref="TableStage"/> delivers batches of spans, in input order, on its own thread.</summary>
internal interface ISpanBatchTarget
{
    void Enter(ReadOnlySpan<PendingSpan> batch);
}
