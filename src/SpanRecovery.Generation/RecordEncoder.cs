using System.Buffers;
using System.Text.Json;
using Google.Protobuf;
using OpenTelemetry.Proto.Trace.V1;
using SpanRecovery.Otlp;

namespace SpanRecovery.Generation;

/// <summary>Encodes one record into a reused buffer: protobuf <c>TracesData</c> or one compact OTLP/JSON document.</summary>
internal sealed class RecordEncoder(RecordEncoding encoding) : IDisposable
{
    private readonly ArrayBufferWriter<byte> buffer = new(1 << 20);
    private readonly Utf8JsonWriter json = new(Stream.Null);

    /// <summary>The encoded record; valid until the next call.</summary>
    public ReadOnlySpan<byte> Encode(TracesData record)
    {
        buffer.ResetWrittenCount();
        if (encoding == RecordEncoding.Protobuf)
        {
            record.WriteTo(buffer);
        }
        else
        {
            json.Reset(buffer);
            OtlpJsonWriter.Write(json, record);
            json.Flush();
        }

        return buffer.WrittenSpan;
    }

    public void Dispose() => json.Dispose();
}
