using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;
using SpanRecovery.Otlp;
using SpanRecovery.Restore;
using SpanRecovery.Validation;

namespace SpanRecovery.Repair;

/// <summary>
/// Writes the spans a repair removed to <c>quarantine.jsonl</c>: one OTLP/JSON <c>TracesData</c> line per
/// record that lost spans, holding those spans with their resource and scope, each span carrying the attribute
/// <see cref="RulesAttribute"/> (a string array of the rule ids it was removed for). OTLP/JSON records keep their
/// text, IDs that are not hex included (those spans are exactly what the quarantine is for); protobuf records are
/// converted with the generated types (a cold path: removed spans only), IDs as hex as OTLP/JSON wants them.
/// </summary>
internal sealed class QuarantineWriter : IDisposable
{
    public const string FileName = "quarantine.jsonl";
    public const string RulesAttribute = "spanrecovery.rules";

    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithFormatEnumsAsIntegers(true));

    // Duplicate names would make the order of spans differ from the reader's, and the rules land on the wrong span.
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 128, AllowDuplicateProperties = false };

    private static readonly string[] ResourceSpansNames = [Name(TracesSchema.ResourceSpansJson), Name(TracesSchema.ResourceSpansProtoName)];
    private static readonly string[] ScopeSpansNames =
    [
        Name(TracesSchema.ScopeSpansJson), Name(TracesSchema.ScopeSpansProtoName),
        Name(TracesSchema.LegacyScopeSpansJson), Name(TracesSchema.LegacyScopeSpansProtoName),
    ];

    private static readonly string SpansName = Name(TracesSchema.SpansJson);
    private static readonly string AttributesName = Name(TracesSchema.AttributesJson);

    private readonly OutputFileStream _file;

    public QuarantineWriter(string directory)
    {
        Directory.CreateDirectory(directory);
        _file = OutputFileStream.Replace(Path.Combine(directory, FileName), bufferSize: 1 << 16);
    }

    public long Spans { get; private set; }

    /// <summary>
    /// One line for a record holding only removed spans; <paramref name="rules"/> are their rules in reading
    /// order. Throws <see cref="MalformedInputException"/> when the record cannot be written as OTLP/JSON.
    /// </summary>
    public void Write(ReadOnlySpan<byte> removedOnly, RecordEncoding encoding, IReadOnlyList<RuleSet> rules)
    {
        var line = encoding == RecordEncoding.Json ? FromJson(removedOnly, rules) : FromProtobuf(removedOnly, rules);
        _file.Write(Encoding.UTF8.GetBytes(line));
        _file.WriteByte((byte)'\n');
        Spans += rules.Count;
    }

    public void Dispose()
    {
        try
        {
            _file.Flush(); // to disk
        }
        finally
        {
            _file.Dispose();
        }
    }

    private static string FromJson(ReadOnlySpan<byte> document, IReadOnlyList<RuleSet> rules)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(document, documentOptions: DocumentOptions);
        }
        catch (JsonException e)
        {
            throw new MalformedInputException($"not writable as one JSON line: {e.Message}", 0);
        }

        var next = 0;
        foreach (var resourceSpans in Elements(root, ResourceSpansNames))
        {
            foreach (var scopeSpans in Elements(resourceSpans, ScopeSpansNames))
            {
                foreach (var span in Elements(scopeSpans, [SpansName]))
                {
                    if (next == rules.Count || span is not JsonObject spanObject)
                        throw new MalformedInputException("the spans of the record changed between two readings", 0);
                    var attributes = spanObject[AttributesName] ?? (spanObject[AttributesName] = new JsonArray());
                    if (attributes is not JsonArray list)
                        throw new MalformedInputException("a removed span's attributes are not an array", 0);
                    list.Add(JsonNode.Parse(Formatter.Format(RulesKeyValue(rules[next++]))));
                }
            }
        }

        return next == rules.Count ? root!.ToJsonString() : throw new MalformedInputException("the spans of the record changed between two readings", 0);
    }

    /// <summary>The elements of the arrays under any of <paramref name="names"/>, in document order (the reader's order).</summary>
    private static IEnumerable<JsonNode?> Elements(JsonNode? node, string[] names) =>
        node is JsonObject obj
            ? obj.Where(p => names.Contains(p.Key, StringComparer.Ordinal)).SelectMany(p => p.Value as JsonArray ?? [])
            : [];

    private static string FromProtobuf(ReadOnlySpan<byte> record, IReadOnlyList<RuleSet> rules)
    {
        TracesData data;
        try
        {
            data = TracesData.Parser.ParseFrom(record);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new MalformedInputException($"not convertible to OTLP/JSON: {e.Message}", 0);
        }

        var spans = data.ResourceSpans.SelectMany(r => r.ScopeSpans.Concat(r.InstrumentationLibrarySpans)).SelectMany(s => s.Spans).ToList();
        if (spans.Count != rules.Count)
            throw new MalformedInputException("the spans of the record changed between two readings", 0);
        for (var i = 0; i < spans.Count; i++)
            spans[i].Attributes.Add(RulesKeyValue(rules[i]));
        foreach (var resourceSpans in data.ResourceSpans)
        {
            // The old field's layout is ScopeSpans'; OTLP/JSON today knows only scopeSpans.
            resourceSpans.ScopeSpans.Add(resourceSpans.InstrumentationLibrarySpans);
            resourceSpans.InstrumentationLibrarySpans.Clear();
        }

        var json = JsonNode.Parse(Formatter.Format(data))!;
        foreach (var span in Elements(json, ResourceSpansNames).SelectMany(r => Elements(r, ScopeSpansNames)).SelectMany(s => Elements(s, [SpansName])))
        {
            HexId(span, "traceId");
            HexId(span, "spanId");
            HexId(span, "parentSpanId");
            foreach (var link in span?["links"] as JsonArray ?? [])
            {
                HexId(link, "traceId");
                HexId(link, "spanId");
            }
        }

        return json.ToJsonString();
    }

    /// <summary>Proto3 JSON writes bytes as base64; OTLP/JSON writes trace and span IDs as hex.</summary>
    private static void HexId(JsonNode? owner, string name)
    {
        if (owner is JsonObject obj && obj[name] is JsonValue value && value.TryGetValue<string>(out var base64))
            obj[name] = Convert.ToHexStringLower(Convert.FromBase64String(base64));
    }

    private static KeyValue RulesKeyValue(RuleSet rules)
    {
        var ids = new ArrayValue();
        foreach (var rule in rules)
            ids.Values.Add(new AnyValue { StringValue = rule.Id() });
        return new KeyValue { Key = RulesAttribute, Value = new AnyValue { ArrayValue = ids } };
    }

    private static string Name(ReadOnlySpan<byte> utf8) => Encoding.UTF8.GetString(utf8);
}
