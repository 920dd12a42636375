namespace SpanRecovery.Restore;

/// <summary>Reading restored traces back from the backend's query API after delivery (docs/restore.md).</summary>
/// <param name="Url">The query API's base URL (Tempo's or Jaeger's query service, the Aspire Dashboard).</param>
/// <param name="SampleTraces">Read back only this many traces, chosen by trace ID alone (the same on every run); null reads back all.</param>
/// <param name="Timeout">How long to keep asking while the backend ingests; 2 minutes unless set.</param>
public sealed record ReadbackOptions(ReadbackKind Kind, Uri Url, int? SampleTraces = null, TimeSpan? Timeout = null)
{
    /// <summary>The read-back's time limit: <see cref="Timeout"/> or 2 minutes.</summary>
    public TimeSpan EffectiveTimeout => Timeout ?? TimeSpan.FromMinutes(2);
}
