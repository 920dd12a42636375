namespace SpanRecovery.Restore;

/// <summary>Which query API reads restored traces back (<c>--verify-readback KIND=URL</c>).</summary>
public enum ReadbackKind
{
    /// <summary>Grafana Tempo: <c>GET URL/api/traces/{traceId}</c>.</summary>
    Tempo,

    /// <summary>Jaeger's API v3: <c>GET URL/api/v3/traces/{traceId}</c>, OTLP/JSON under <c>result</c>.</summary>
    Jaeger,

    /// <summary>The Aspire Dashboard's telemetry API: <c>GET URL/api/telemetry/traces/{traceId}</c>, OTLP/JSON under <c>data</c>.</summary>
    Aspire,
}
