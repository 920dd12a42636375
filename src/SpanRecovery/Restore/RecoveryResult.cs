namespace SpanRecovery.Restore;

/// <summary>
/// What a restore did (docs/restore.md, <c>restore --json</c>): the backups whose data it used, the spans it
/// restored, the bytes it wrote (files) or sent in this run (OTLP/HTTP request bodies), and how the checks
/// and hooks went.
/// </summary>
/// <param name="SpansDropped">Point in time: spans left out because they ended after the time (or were already restored from the other chain).</param>
/// <param name="Delivery">OTLP/HTTP targets: batches, retries' outcome, rejected spans.</param>
/// <param name="ShiftNanos">The offset added to every restored span and event time (<c>--shift-time</c>), in nanoseconds.</param>
public sealed record RecoveryResult(
    IReadOnlyList<string> Backups,
    long Spans,
    long Bytes,
    double DurationSeconds,
    string Target,
    bool Verified,
    int? PreHookExit,
    int? PostHookExit,
    int Files = 0,
    long SpansDropped = 0,
    OtlpDeliveryResult? Delivery = null,
    long ShiftNanos = 0)
{
    /// <summary>With read-back (<see cref="RestoreOptions.Readback"/>): what the backend's query API returned of the spans sent.</summary>
    public ReadbackResult? Readback { get; init; }
}
