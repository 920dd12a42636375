using System.Globalization;
using System.Text.Json;
using Google.Protobuf;
using Google.Protobuf.Collections;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace SpanRecovery.Generation;

/// <summary>
/// Writes OTLP/JSON: lowerCamelCase names, IDs as hex (omitted when empty), 64-bit integers as strings,
/// enums as integers. Not Google.Protobuf's JsonFormatter, which writes IDs in base64 (not OTLP/JSON).
/// Some spans are written with uppercase hex IDs or with times as JSON numbers, both of which readers must
/// accept. The variant follows from the span's own ID, never from its document, so a byte-identical retry
/// copy is written byte-identically wherever it lands, as a retry of the same bytes would be.
/// </summary>
internal static class OtlpJsonWriter
{
    public static void Write(Utf8JsonWriter json, TracesData record)
    {
        json.WriteStartObject();
        json.WriteStartArray("resourceSpans"u8);
        foreach (var resourceSpans in record.ResourceSpans)
        {
            json.WriteStartObject();
            json.WriteStartObject("resource"u8);
            WriteAttributes(json, resourceSpans.Resource.Attributes);
            json.WriteEndObject();
            json.WriteStartArray("scopeSpans"u8);
            foreach (var scopeSpans in resourceSpans.ScopeSpans)
            {
                json.WriteStartObject();
                json.WriteStartObject("scope"u8);
                json.WriteString("name"u8, scopeSpans.Scope.Name);
                json.WriteString("version"u8, scopeSpans.Scope.Version);
                json.WriteEndObject();
                json.WriteStartArray("spans"u8);
                foreach (var span in scopeSpans.Spans)
                    WriteSpan(json, span);
                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteString("schemaUrl"u8, resourceSpans.SchemaUrl);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteSpan(Utf8JsonWriter json, Span span)
    {
        var variant = span.SpanId.IsEmpty ? 0 : span.SpanId[^1] % 8;
        var uppercaseIds = variant is 1 or 3;
        var timesAsNumbers = variant is 2 or 3;
        json.WriteStartObject();
        WriteId(json, "traceId"u8, span.TraceId, uppercaseIds);
        WriteId(json, "spanId"u8, span.SpanId, uppercaseIds);
        WriteId(json, "parentSpanId"u8, span.ParentSpanId, uppercaseIds);
        json.WriteString("name"u8, span.Name);
        json.WriteNumber("kind"u8, (int)span.Kind);
        WriteTime(json, "startTimeUnixNano"u8, span.StartTimeUnixNano, timesAsNumbers);
        WriteTime(json, "endTimeUnixNano"u8, span.EndTimeUnixNano, timesAsNumbers);
        WriteAttributes(json, span.Attributes);
        if (span.Events.Count > 0)
        {
            json.WriteStartArray("events"u8);
            foreach (var spanEvent in span.Events)
            {
                json.WriteStartObject();
                WriteTime(json, "timeUnixNano"u8, spanEvent.TimeUnixNano, timesAsNumbers);
                json.WriteString("name"u8, spanEvent.Name);
                WriteAttributes(json, spanEvent.Attributes);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        if (span.Status is { } status)
        {
            json.WriteStartObject("status"u8);
            if (status.Code != Status.Types.StatusCode.Unset)
                json.WriteNumber("code"u8, (int)status.Code);
            if (status.Message.Length > 0)
                json.WriteString("message"u8, status.Message);
            json.WriteEndObject();
        }

        json.WriteEndObject();
    }

    private static void WriteId(Utf8JsonWriter json, ReadOnlySpan<byte> name, ByteString id, bool uppercase)
    {
        if (id.IsEmpty)
            return;
        Span<char> hex = stackalloc char[2 * id.Length];
        _ = uppercase
            ? Convert.TryToHexString(id.Span, hex, out _)
            : Convert.TryToHexStringLower(id.Span, hex, out _);
        json.WriteString(name, hex);
    }

    private static void WriteTime(Utf8JsonWriter json, ReadOnlySpan<byte> name, ulong unixNano, bool asNumber)
    {
        if (asNumber)
        {
            json.WriteNumber(name, unixNano);
            return;
        }

        Span<byte> digits = stackalloc byte[20];
        unixNano.TryFormat(digits, out var length, provider: CultureInfo.InvariantCulture);
        json.WriteString(name, digits[..length]);
    }

    private static void WriteAttributes(Utf8JsonWriter json, RepeatedField<KeyValue> attributes)
    {
        json.WriteStartArray("attributes"u8);
        foreach (var attribute in attributes)
        {
            json.WriteStartObject();
            json.WriteString("key"u8, attribute.Key);
            json.WriteStartObject("value"u8);
            var value = attribute.Value;
            switch (value.ValueCase)
            {
                case AnyValue.ValueOneofCase.StringValue:
                    json.WriteString("stringValue"u8, value.StringValue);
                    break;
                case AnyValue.ValueOneofCase.IntValue:
                    json.WriteString("intValue"u8, value.IntValue.ToString(CultureInfo.InvariantCulture));
                    break;
                case AnyValue.ValueOneofCase.DoubleValue:
                    json.WriteNumber("doubleValue"u8, value.DoubleValue);
                    break;
                case AnyValue.ValueOneofCase.BoolValue:
                    json.WriteBoolean("boolValue"u8, value.BoolValue);
                    break;
                default:
                    throw new NotSupportedException($"The generator writes no {value.ValueCase} attribute values.");
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }
}
