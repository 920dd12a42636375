namespace SpanRecovery.Restore;

/// <summary>
/// How one batch ended: delivered (possibly with spans the receiver rejected as a partial success, and its
/// message), refused as too large (413: the batch is split and sent again), or a failure line for the report.
/// </summary>
internal readonly record struct BatchOutcome(bool Delivered, long RejectedSpans, string? RejectionMessage, string? Failure, bool TooLarge = false)
{
    public static BatchOutcome Success(long rejectedSpans, string? rejectionMessage) => new(true, rejectedSpans, rejectionMessage, null);

    public static BatchOutcome Failed(string failure) => new(false, 0, null, failure);

    public static BatchOutcome Refused(string failure) => new(false, 0, null, failure, TooLarge: true);

    /// <summary>Both halves of a split batch: delivered only when both were, their rejections added up.</summary>
    public static BatchOutcome Both(BatchOutcome first, BatchOutcome second)
    {
        if (!first.Delivered || !second.Delivered)
            return Failed(string.Join("; ", new[] { first.Failure, second.Failure }.OfType<string>()));
        var messages = new[] { first.RejectionMessage, second.RejectionMessage }.Where(m => !string.IsNullOrEmpty(m));
        return Success(first.RejectedSpans + second.RejectedSpans, string.Join("; ", messages));
    }
}
