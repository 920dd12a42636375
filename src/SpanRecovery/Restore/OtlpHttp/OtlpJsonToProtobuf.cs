using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using OpenTelemetry.Proto.Trace.V1;
using SpanRecovery.Otlp;

namespace SpanRecovery.Restore;

/// <summary>
/// Converts one OTLP/JSON document to a serialized <c>TracesData</c>. OTLP/JSON is proto3 JSON with three
/// departures that Google.Protobuf's <see cref="JsonParser"/> does not know, so the document is fixed up
/// first: trace and span IDs are hex (proto3 JSON wants base64), 64-bit integers written as JSON numbers must
/// not pass through a double (the parser's tokenizer reads numbers as doubles), and older writers use
/// <c>instrumentationLibrarySpans</c> / <c>instrumentationLibrary</c>. IDs that are not hex are left alone:
/// some writers emit base64, which the parser then decodes, keeping those spans as the JSON reader does.
/// Unknown fields are ignored, as OTLP requires of receivers.
/// </summary>
internal static class OtlpJsonToProtobuf
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    private static readonly SearchValues<char> HexDigits = SearchValues.Create("0123456789abcdefABCDEF");

    private static readonly JsonNodeOptions NodeOptions = new() { PropertyNameCaseInsensitive = false };

    /// <summary>
    /// Duplicate property names are rejected while parsing (as OTLP receivers' protojson does): JsonObject would
    /// otherwise throw an ArgumentException on first access to such an object.
    /// </summary>
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 128, AllowDuplicateProperties = false };

    /// <summary>Throws <see cref="MalformedInputException"/> for a document that is not OTLP/JSON traces.</summary>
    public static byte[] Convert(ReadOnlySpan<byte> document)
    {
        try
        {
            if (JsonNode.Parse(document, NodeOptions, DocumentOptions) is not JsonObject root)
                throw new MalformedInputException("an OTLP/JSON document must be a JSON object");
            foreach (var resourceSpans in Objects(root, "resourceSpans", "resource_spans"))
                FixResourceSpans(resourceSpans);
            return Parser.Parse<TracesData>(root.ToJsonString()).ToByteArray();
        }
        catch (JsonException e)
        {
            throw new MalformedInputException($"invalid JSON: {e.Message}", e);
        }
        catch (InvalidOperationException e)
        {
            // JsonNode accessors throw this for a value of an unexpected kind (an array where an object belongs).
            throw new MalformedInputException($"invalid OTLP/JSON value: {e.Message}", e);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new MalformedInputException($"invalid OTLP/JSON: {e.Message}", e);
        }
    }

    private static void FixResourceSpans(JsonObject resourceSpans)
    {
        FixAttributes(resourceSpans["resource"] as JsonObject);
        MergeInto(resourceSpans, "scopeSpans", "instrumentationLibrarySpans", "instrumentation_library_spans");
        foreach (var scopeSpans in Objects(resourceSpans, "scopeSpans", "scope_spans"))
        {
            if (!scopeSpans.ContainsKey("scope") && Rename(scopeSpans, "instrumentationLibrary", "instrumentation_library") is { } library)
                scopeSpans["scope"] = library;
            FixAttributes(scopeSpans["scope"] as JsonObject);
            foreach (var span in Objects(scopeSpans, "spans"))
                FixSpan(span);
        }
    }

    private static void FixSpan(JsonObject span)
    {
        HexToBase64(span, "traceId", "trace_id");
        HexToBase64(span, "spanId", "span_id");
        HexToBase64(span, "parentSpanId", "parent_span_id");
        NumberToString(span, "startTimeUnixNano", "start_time_unix_nano");
        NumberToString(span, "endTimeUnixNano", "end_time_unix_nano");
        FixAttributes(span);
        foreach (var spanEvent in Objects(span, "events"))
        {
            NumberToString(spanEvent, "timeUnixNano", "time_unix_nano");
            FixAttributes(spanEvent);
        }

        foreach (var link in Objects(span, "links"))
        {
            HexToBase64(link, "traceId", "trace_id");
            HexToBase64(link, "spanId", "span_id");
            FixAttributes(link);
        }
    }

    private static void FixAttributes(JsonObject? owner)
    {
        if (owner is not null)
            FixKeyValues(owner, "attributes");
    }

    private static void FixKeyValues(JsonObject owner, string name)
    {
        foreach (var pair in Objects(owner, name))
        {
            if (pair["value"] is JsonObject value)
                FixAnyValue(value);
        }
    }

    /// <summary>int_value is the one 64-bit integer inside attribute values, at any nesting depth.</summary>
    private static void FixAnyValue(JsonObject value)
    {
        NumberToString(value, "intValue", "int_value");
        if ((value["arrayValue"] ?? value["array_value"]) is JsonObject array)
        {
            foreach (var element in Objects(array, "values"))
                FixAnyValue(element);
        }

        if ((value["kvlistValue"] ?? value["kvlist_value"]) is JsonObject list)
            FixKeyValues(list, "values");
    }

    private static void HexToBase64(JsonObject owner, string camelName, string protoName)
    {
        foreach (var name in (ReadOnlySpan<string>)[camelName, protoName])
        {
            if (owner[name] is JsonValue value && value.TryGetValue(out string? text)
                && text.Length % 2 == 0 && !text.AsSpan().ContainsAnyExcept(HexDigits))
                owner[name] = System.Convert.ToBase64String(System.Convert.FromHexString(text));
        }
    }

    private static void NumberToString(JsonObject owner, string camelName, string protoName)
    {
        foreach (var name in (ReadOnlySpan<string>)[camelName, protoName])
        {
            if (owner[name] is JsonValue value && value.GetValueKind() == JsonValueKind.Number)
                owner[name] = value.ToJsonString();
        }
    }

    /// <summary>Moves the elements of the old-named arrays to the end of <paramref name="target"/>.</summary>
    private static void MergeInto(JsonObject owner, string target, params ReadOnlySpan<string> oldNames)
    {
        foreach (var oldName in oldNames)
        {
            if (Rename(owner, oldName) is not JsonArray old)
                continue;
            if (owner[target] is not JsonArray current)
                owner[target] = current = [];
            foreach (var element in old.ToArray())
            {
                old.Remove(element);
                current.Add(element);
            }
        }
    }

    /// <summary>Removes the first present of <paramref name="names"/> and returns its value.</summary>
    private static JsonNode? Rename(JsonObject owner, params ReadOnlySpan<string> names)
    {
        foreach (var name in names)
        {
            if (owner.Remove(name, out var value))
                return value;
        }

        return null;
    }

    /// <summary>The objects of an array property under either of its names; anything else is skipped.</summary>
    private static IEnumerable<JsonObject> Objects(JsonObject owner, params string[] names) =>
        names.Select(name => owner[name]).OfType<JsonArray>().SelectMany(array => array.OfType<JsonObject>());
}
