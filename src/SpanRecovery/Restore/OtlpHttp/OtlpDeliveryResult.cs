namespace SpanRecovery.Restore;

/// <summary>
/// What an OTLP/HTTP restore delivered. <see cref="Batches"/>, <see cref="SpansSent"/> and
/// <see cref="BytesSent"/> count batches the receiver acknowledged in this run (each once, however many
/// attempts it took); the skipped counts are batches a previous, interrupted run had delivered (from the
/// resume journal). <see cref="SpansRejected"/> is the receiver's partial-success count, a subset of
/// <see cref="SpansSent"/>. Every batch that was not delivered has one line in <see cref="Failures"/>.
/// </summary>
public sealed record OtlpDeliveryResult(
    long Batches,
    long BatchesSkipped,
    long SpansSent,
    long SpansSkipped,
    long SpansRejected,
    long BytesSent,
    IReadOnlyList<string> Failures)
{
    /// <summary>True when every batch reached the receiver (now or in an earlier run).</summary>
    public bool Complete => Failures.Count == 0;
}
