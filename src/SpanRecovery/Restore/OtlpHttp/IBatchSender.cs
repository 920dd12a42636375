namespace SpanRecovery.Restore;

/// <summary>
/// Delivers one batch over one OTLP transport (<see cref="BatchSender"/> for OTLP/HTTP, <see cref="GrpcBatchSender"/>
/// for OTLP/gRPC), retrying what that transport calls transient. Network trouble ends in a failed
/// <see cref="BatchOutcome"/>; only the caller's cancellation escapes.
/// </summary>
internal interface IBatchSender
{
    Task<BatchOutcome> SendAsync(OtlpBatch batch, CancellationToken cancellationToken);
}
