using System.Net.Http.Headers;

namespace SpanRecovery.Restore;

/// <summary>
/// How long to wait before the next attempt: the receiver's Retry-After when it gave one, else exponential
/// backoff with "equal jitter" (half fixed, half random) so concurrent senders do not retry in lock-step;
/// both capped at the maximum backoff so a far-future Retry-After cannot stall a restore.
/// </summary>
internal static class RetryDelay
{
    /// <summary>The delay before attempt <paramref name="failedAttempt"/> + 1, and whether Retry-After set it.</summary>
    public static (TimeSpan Delay, bool FromRetryAfter) Next(int failedAttempt, RetryConditionHeaderValue? retryAfter, OtlpHttpOptions options)
    {
        var max = options.EffectiveMaxBackoff;
        if (FromHeader(retryAfter) is { } requested)
            return (Min(requested, max), true);
        var exponential = Min(options.EffectiveInitialBackoff * Math.Pow(2, Math.Min(failedAttempt - 1, 30)), max);
#pragma warning disable CA5394 // jitter, not security
        var jittered = exponential * (0.5 + (Random.Shared.NextDouble() / 2));
#pragma warning restore CA5394
        return (jittered, false);
    }

    private static TimeSpan? FromHeader(RetryConditionHeaderValue? retryAfter)
    {
        if (retryAfter?.Delta is { } delta)
            return delta;
        if (retryAfter?.Date is { } date)
        {
            var wait = date - DateTimeOffset.UtcNow;
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        return null;
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
