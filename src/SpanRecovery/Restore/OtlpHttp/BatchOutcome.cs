namespace SpanRecovery.Restore;

/// <summary>
/// How one batch ended: delivered (possibly with spans the receiver rejected as a partial success), or a
/// failure line for the report.
/// </summary>
internal readonly record struct BatchOutcome(bool Delivered, long RejectedSpans, string? Failure)
{
    public static BatchOutcome Success(long rejectedSpans) => new(true, rejectedSpans, null);

    public static BatchOutcome Failed(string failure) => new(false, 0, failure);
}
