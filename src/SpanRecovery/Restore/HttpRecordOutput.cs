using SpanRecovery.Otlp;

namespace SpanRecovery.Restore;

/// <summary>Sends restored records to an OTLP/HTTP backend; the format of the file they came from does not matter there.</summary>
internal sealed class HttpRecordOutput(BatchDelivery target, CancellationToken cancellationToken) : IRecordOutput
{
    public void OnFormat(InputDescription format)
    {
        // Every record becomes OTLP protobuf batches, whatever file format it was stored in.
    }

    public void Write(ReadOnlySpan<byte> record, RecordEncoding encoding) => target.AddRecord(record, encoding, cancellationToken);
}
