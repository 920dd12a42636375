namespace SpanRecovery.Restore;

/// <summary>
/// One OTLP transport's way to deliver a batch (<see cref="BatchSender"/>: OTLP/HTTP). It retries what its
/// protocol calls transient and ends every batch in a <see cref="BatchOutcome"/>; only the caller's
/// cancellation escapes. Batching, splitting a refused batch, the journal and the accounting are
/// <see cref="BatchDelivery"/>'s, the same for every transport.
/// </summary>
internal interface IBatchExporter : IDisposable
{
    Task<BatchOutcome> ExportAsync(OtlpBatch batch, CancellationToken cancellationToken);
}
