using System.Globalization;
using System.Text.Json;
using Google.Protobuf;
using Google.Protobuf.Collections;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;
using SpanRecovery.Otlp;

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
        json.WriteStartArray(TracesSchema.ResourceSpansJson);
        foreach (var resourceSpans in record.ResourceSpans)
        {
            json.WriteStartObject();
            json.WriteStartObject(TracesSchema.ResourceJson);
            WriteAttributes(json, resourceSpans.Resource.Attributes);
            json.WriteEndObject();
            json.WriteStartArray(TracesSchema.ScopeSpansJson);
            foreach (var scopeSpans in resourceSpans.ScopeSpans)
            {
                json.WriteStartObject();
                json.WriteStartObject(TracesSchema.ScopeJson);
                json.WriteString(TracesSchema.NameJson, scopeSpans.Scope.Name);
                json.WriteString(TracesSchema.VersionJson, scopeSpans.Scope.Version);
                json.WriteEndObject();
                json.WriteStartArray(TracesSchema.SpansJson);
                foreach (var span in scopeSpans.Spans)
                    WriteSpan(json, span);
                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteString(TracesSchema.SchemaUrlJson, resourceSpans.SchemaUrl);
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
        WriteId(json, TracesSchema.TraceIdJson, span.TraceId, uppercaseIds);
        WriteId(json, TracesSchema.SpanIdJson, span.SpanId, uppercaseIds);
        WriteId(json, TracesSchema.ParentSpanIdJson, span.ParentSpanId, uppercaseIds);
        json.WriteString(TracesSchema.NameJson, span.Name);
        json.WriteNumber(TracesSchema.KindJson, (int)span.Kind);
        WriteTime(json, TracesSchema.StartTimeUnixNanoJson, span.StartTimeUnixNano, timesAsNumbers);
        WriteTime(json, TracesSchema.EndTimeUnixNanoJson, span.EndTimeUnixNano, timesAsNumbers);
        WriteAttributes(json, span.Attributes);
        if (span.Events.Count > 0)
        {
            json.WriteStartArray(TracesSchema.EventsJson);
            foreach (var spanEvent in span.Events)
            {
                json.WriteStartObject();
                WriteTime(json, TracesSchema.TimeUnixNanoJson, spanEvent.TimeUnixNano, timesAsNumbers);
                json.WriteString(TracesSchema.NameJson, spanEvent.Name);
                WriteAttributes(json, spanEvent.Attributes);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        if (span.Links.Count > 0)
        {
            json.WriteStartArray(TracesSchema.LinksJson);
            foreach (var link in span.Links)
            {
                json.WriteStartObject();
                WriteId(json, TracesSchema.TraceIdJson, link.TraceId, uppercaseIds);
                WriteId(json, TracesSchema.SpanIdJson, link.SpanId, uppercaseIds);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        if (span.Status is { } status)
        {
            json.WriteStartObject(TracesSchema.StatusJson);
            if (status.Code != Status.Types.StatusCode.Unset)
                json.WriteNumber(TracesSchema.CodeJson, (int)status.Code);
            if (status.Message.Length > 0)
                json.WriteString(TracesSchema.MessageJson, status.Message);
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
        json.WriteStartArray(TracesSchema.AttributesJson);
        foreach (var attribute in attributes)
        {
            json.WriteStartObject();
            json.WriteString(TracesSchema.KeyJson, attribute.Key);
            json.WriteStartObject(TracesSchema.ValueJson);
            var value = attribute.Value;
            switch (value.ValueCase)
            {
                case AnyValue.ValueOneofCase.StringValue:
                    json.WriteString(TracesSchema.StringValueJson, value.StringValue);
                    break;
                case AnyValue.ValueOneofCase.IntValue:
                    json.WriteString(TracesSchema.IntValueJson, value.IntValue.ToString(CultureInfo.InvariantCulture));
                    break;
                case AnyValue.ValueOneofCase.DoubleValue:
                    json.WriteNumber(TracesSchema.DoubleValueJson, value.DoubleValue);
                    break;
                case AnyValue.ValueOneofCase.BoolValue:
                    json.WriteBoolean(TracesSchema.BoolValueJson, value.BoolValue);
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
