using System.Buffers;
using System.Text;
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

    private static readonly JsonNames ResourceSpans = new(TracesSchema.ResourceSpansJson, TracesSchema.ResourceSpansProtoName);
    private static readonly JsonNames Resource = new(TracesSchema.ResourceJson);
    private static readonly JsonNames ScopeSpans = new(TracesSchema.ScopeSpansJson, TracesSchema.ScopeSpansProtoName);
    private static readonly JsonNames LegacyScopeSpans = new(TracesSchema.LegacyScopeSpansJson, TracesSchema.LegacyScopeSpansProtoName);
    private static readonly JsonNames Scope = new(TracesSchema.ScopeJson);
    private static readonly JsonNames LegacyScope = new(TracesSchema.LegacyScopeJson, TracesSchema.LegacyScopeProtoName);
    private static readonly JsonNames Spans = new(TracesSchema.SpansJson);
    private static readonly JsonNames TraceId = new(TracesSchema.TraceIdJson, TracesSchema.TraceIdProtoName);
    private static readonly JsonNames SpanId = new(TracesSchema.SpanIdJson, TracesSchema.SpanIdProtoName);
    private static readonly JsonNames ParentSpanId = new(TracesSchema.ParentSpanIdJson, TracesSchema.ParentSpanIdProtoName);
    private static readonly JsonNames StartTimeUnixNano = new(TracesSchema.StartTimeUnixNanoJson, TracesSchema.StartTimeUnixNanoProtoName);
    private static readonly JsonNames EndTimeUnixNano = new(TracesSchema.EndTimeUnixNanoJson, TracesSchema.EndTimeUnixNanoProtoName);
    private static readonly JsonNames Events = new(TracesSchema.EventsJson);
    private static readonly JsonNames TimeUnixNano = new(TracesSchema.TimeUnixNanoJson, TracesSchema.TimeUnixNanoProtoName);
    private static readonly JsonNames Links = new(TracesSchema.LinksJson);
    private static readonly JsonNames Attributes = new(TracesSchema.AttributesJson);
    private static readonly JsonNames Value = new(TracesSchema.ValueJson);
    private static readonly JsonNames IntValue = new(TracesSchema.IntValueJson, TracesSchema.IntValueProtoName);
    private static readonly JsonNames ArrayValue = new(TracesSchema.ArrayValueJson, TracesSchema.ArrayValueProtoName);
    private static readonly JsonNames KvlistValue = new(TracesSchema.KvlistValueJson, TracesSchema.KvlistValueProtoName);
    private static readonly JsonNames Values = new(TracesSchema.ValuesJson);

    /// <summary>Throws <see cref="MalformedInputException"/> for a document that is not OTLP/JSON traces.</summary>
    public static byte[] Convert(ReadOnlySpan<byte> document)
    {
        try
        {
            if (JsonNode.Parse(document, NodeOptions, DocumentOptions) is not JsonObject root)
                throw new MalformedInputException("an OTLP/JSON document must be a JSON object");
            foreach (var resourceSpans in Objects(root, ResourceSpans))
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
        FixAttributes(resourceSpans[Resource.Json] as JsonObject);
        MergeInto(resourceSpans, ScopeSpans.Json, LegacyScopeSpans);
        foreach (var scopeSpans in Objects(resourceSpans, ScopeSpans))
        {
            if (!scopeSpans.ContainsKey(Scope.Json) && Rename(scopeSpans, LegacyScope) is { } library)
                scopeSpans[Scope.Json] = library;
            FixAttributes(scopeSpans[Scope.Json] as JsonObject);
            foreach (var span in Objects(scopeSpans, Spans))
                FixSpan(span);
        }
    }

    private static void FixSpan(JsonObject span)
    {
        HexToBase64(span, TraceId);
        HexToBase64(span, SpanId);
        HexToBase64(span, ParentSpanId);
        NumberToString(span, StartTimeUnixNano);
        NumberToString(span, EndTimeUnixNano);
        FixAttributes(span);
        foreach (var spanEvent in Objects(span, Events))
        {
            NumberToString(spanEvent, TimeUnixNano);
            FixAttributes(spanEvent);
        }

        foreach (var link in Objects(span, Links))
        {
            HexToBase64(link, TraceId);
            HexToBase64(link, SpanId);
            FixAttributes(link);
        }
    }

    private static void FixAttributes(JsonObject? owner)
    {
        if (owner is not null)
            FixKeyValues(owner, Attributes);
    }

    private static void FixKeyValues(JsonObject owner, JsonNames name)
    {
        foreach (var pair in Objects(owner, name))
        {
            if (pair[Value.Json] is JsonObject value)
                FixAnyValue(value);
        }
    }

    /// <summary>int_value is the one 64-bit integer inside attribute values, at any nesting depth.</summary>
    private static void FixAnyValue(JsonObject value)
    {
        NumberToString(value, IntValue);
        if (First(value, ArrayValue) is JsonObject array)
        {
            foreach (var element in Objects(array, Values))
                FixAnyValue(element);
        }

        if (First(value, KvlistValue) is JsonObject list)
            FixKeyValues(list, Values);
    }

    private static void HexToBase64(JsonObject owner, JsonNames names)
    {
        foreach (var name in names.All)
        {
            if (owner[name] is JsonValue value && value.TryGetValue(out string? text)
                && text.Length % 2 == 0 && !text.AsSpan().ContainsAnyExcept(HexDigits))
                owner[name] = System.Convert.ToBase64String(System.Convert.FromHexString(text));
        }
    }

    private static void NumberToString(JsonObject owner, JsonNames names)
    {
        foreach (var name in names.All)
        {
            if (owner[name] is JsonValue value && value.GetValueKind() == JsonValueKind.Number)
                owner[name] = value.ToJsonString();
        }
    }

    /// <summary>Moves the elements of the old-named arrays to the end of <paramref name="target"/>.</summary>
    private static void MergeInto(JsonObject owner, string target, JsonNames oldNames)
    {
        foreach (var oldName in oldNames.All)
        {
            if (!owner.Remove(oldName, out var removed) || removed is not JsonArray old)
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
    private static JsonNode? Rename(JsonObject owner, JsonNames names)
    {
        foreach (var name in names.All)
        {
            if (owner.Remove(name, out var value))
                return value;
        }

        return null;
    }

    /// <summary>The value of the first of <paramref name="names"/> that is present and not null.</summary>
    private static JsonNode? First(JsonObject owner, JsonNames names) => names.All.Select(name => owner[name]).FirstOrDefault(value => value is not null);

    /// <summary>The objects of an array property under either of its names; anything else is skipped.</summary>
    private static IEnumerable<JsonObject> Objects(JsonObject owner, JsonNames names) =>
        names.All.Select(name => owner[name]).OfType<JsonArray>().SelectMany(array => array.OfType<JsonObject>());

    /// <summary>
    /// A field's OTLP/JSON name and, where it differs, its proto name, which proto3 JSON accepts as well: as
    /// strings, for <see cref="JsonObject"/>'s accessors.
    /// </summary>
    private sealed class JsonNames
    {
        public JsonNames(ReadOnlySpan<byte> json, ReadOnlySpan<byte> protoName = default)
        {
            Json = Encoding.UTF8.GetString(json);
            All = protoName.IsEmpty ? [Json] : [Json, Encoding.UTF8.GetString(protoName)];
        }

        public string Json { get; }

        /// <summary>The JSON name, then the proto name if there is one.</summary>
        public string[] All { get; }
    }
}
