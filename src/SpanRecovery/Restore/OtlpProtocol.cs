namespace SpanRecovery.Restore;

/// <summary>How spans reach a live backend (<c>restore --protocol</c>).</summary>
public enum OtlpProtocol
{
    /// <summary>OTLP/HTTP: <c>POST /v1/traces</c> with protobuf bodies (port 4318 by convention).</summary>
    HttpProtobuf,

    /// <summary>OTLP/gRPC: <c>TraceService/Export</c> (port 4317 by convention).</summary>
    Grpc,
}
