namespace SpanRecovery.Restore;

/// <summary>
/// What an OTLP restore delivered. <see cref="Batches"/>, <see cref="SpansSent"/> and
/// <see cref="BytesSent"/> count batches the receiver acknowledged in this run (each once, however many
/// attempts it took; bytes before compression); the skipped counts are batches a previous, interrupted run
/// had delivered (from the resume journal). <see cref="SpansRejected"/> is the receiver's partial-success
/// count, a subset of the spans sent now or before. Every batch that was not delivered has one line in
/// <see cref="Failures"/>; <see cref="Rejected"/> names the first batches the receiver partly rejected.
/// </summary>
public sealed record OtlpDeliveryResult(
    long Batches,
    long BatchesSkipped,
    long SpansSent,
    long SpansSkipped,
    long SpansRejected,
    long BytesSent,
    IReadOnlyList<string> Failures,
    IReadOnlyList<RejectedBatch> Rejected)
{
    /// <summary>True when every batch reached the receiver (now or in an earlier run).</summary>
    public bool Complete => Failures.Count == 0;
}

/// <summary>A batch the receiver accepted with a partial success: how many of its spans it rejected, and why.</summary>
public sealed record RejectedBatch(long Batch, long RejectedSpans, string ErrorMessage);
