namespace SpanRecovery.Restore;

/// <summary>
/// What reading the restored traces back found, from the API of <see cref="Kind"/> (tempo, jaeger, aspire) at
/// <see cref="Url"/>: <see cref="Traces"/> traces asked for, <see cref="Complete"/> of
/// them holding every span sent, <see cref="Missing"/> spans not found by the end, the first of them in
/// <see cref="MissingSpans"/> (trace ID / span ID, hex). <see cref="Error"/> says why the read-back could not be
/// completed (the API refused, or there were more spans than can be compared), if it could not.
/// </summary>
public sealed record ReadbackResult(
    string Kind,
    string Url,
    long Traces,
    long Complete,
    long Missing,
    IReadOnlyList<string> MissingSpans,
    bool Sampled,
    string? Error)
{
    /// <summary>Every span sent was found.</summary>
    public bool Verified => Error is null && Missing == 0 && Complete == Traces;
}
