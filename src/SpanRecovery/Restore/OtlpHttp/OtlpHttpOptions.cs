namespace SpanRecovery.Restore;

/// <summary>
/// Tuning of an OTLP/HTTP restore. <paramref name="MaxBatchBytes"/> stays well below the request limits
/// receivers commonly enforce; the backoff bounds keep a struggling receiver from being hammered while still
/// finishing in reasonable time. Null durations take the defaults named on the properties. The same options
/// drive an OTLP/gRPC restore.
/// </summary>
/// <param name="Headers">Tenant and auth headers: OTLP/gRPC sends them as metadata with every call. Values are never printed.</param>
public sealed record OtlpHttpOptions(
    int MaxBatchBytes = 4 * 1024 * 1024,
    int MaxConcurrency = 2,
    int MaxAttempts = 8,
    TimeSpan? InitialBackoff = null,
    TimeSpan? MaxBackoff = null,
    TimeSpan? RequestTimeout = null,
    IReadOnlyList<KeyValuePair<string, string>>? Headers = null)
{
    /// <summary>First retry delay before jitter; 200 ms unless set.</summary>
    public TimeSpan EffectiveInitialBackoff => InitialBackoff ?? TimeSpan.FromMilliseconds(200);

    /// <summary>Upper bound of any retry delay, Retry-After included; 30 s unless set.</summary>
    public TimeSpan EffectiveMaxBackoff => MaxBackoff ?? TimeSpan.FromSeconds(30);

    /// <summary>Time one request may take, response included; 30 s unless set.</summary>
    public TimeSpan EffectiveRequestTimeout => RequestTimeout ?? TimeSpan.FromSeconds(30);
}
