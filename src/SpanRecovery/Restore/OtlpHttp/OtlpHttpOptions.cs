namespace SpanRecovery.Restore;

/// <summary>How request bodies are compressed (<c>Content-Encoding</c>).</summary>
public enum OtlpCompression
{
    /// <summary>gzip, which every OTLP/HTTP receiver must accept.</summary>
    Gzip,

    /// <summary>Plain protobuf.</summary>
    None,
}

/// <summary>
/// Tuning of an OTLP/HTTP restore. <paramref name="MaxBatchBytes"/> stays well below the request limits
/// receivers commonly enforce; the backoff bounds keep a struggling receiver from being hammered while still
/// finishing in reasonable time. Null durations take the defaults named on the properties. The same options
/// drive an OTLP/gRPC restore (headers as call metadata, gzip as grpc-encoding).
/// </summary>
/// <param name="Headers">Sent on every request (tenant, credentials); their values are never printed, logged or journaled.</param>
/// <param name="Compression">Content-Encoding of request bodies; gzip unless set.</param>
public sealed record OtlpHttpOptions(
    int MaxBatchBytes = 4 * 1024 * 1024,
    int MaxConcurrency = 2,
    int MaxAttempts = 8,
    TimeSpan? InitialBackoff = null,
    TimeSpan? MaxBackoff = null,
    TimeSpan? RequestTimeout = null,
    IReadOnlyList<RequestHeader>? Headers = null,
    OtlpCompression Compression = OtlpCompression.Gzip)
{
    /// <summary>First retry delay before jitter; 200 ms unless set.</summary>
    public TimeSpan EffectiveInitialBackoff => InitialBackoff ?? TimeSpan.FromMilliseconds(200);

    /// <summary>Upper bound of any retry delay, Retry-After included; 30 s unless set.</summary>
    public TimeSpan EffectiveMaxBackoff => MaxBackoff ?? TimeSpan.FromSeconds(30);

    /// <summary>Time one request may take, response included; 30 s unless set.</summary>
    public TimeSpan EffectiveRequestTimeout => RequestTimeout ?? TimeSpan.FromSeconds(30);

    /// <summary>The headers to send; none unless set.</summary>
    public IReadOnlyList<RequestHeader> EffectiveHeaders => Headers ?? [];

    /// <summary>
    /// Replaces every header value in text that came from outside (a receiver's error body or message, a
    /// Location), so a receiver that echoes a request's credentials cannot make a report or log line show them:
    /// the whole value and each word of it of 8 characters or more (the token of "Bearer TOKEN"), as given or
    /// URL-escaped.
    /// </summary>
    internal string Redact(string text) =>
        EffectiveHeaders.SelectMany(h => h.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(word => word.Length >= 8).Prepend(h.Value))
            .Where(secret => secret.Length > 0).SelectMany(secret => new[] { secret, Uri.EscapeDataString(secret) })
            .Aggregate(text, (t, secret) => t.Replace(secret, "(hidden)", StringComparison.Ordinal));
}
