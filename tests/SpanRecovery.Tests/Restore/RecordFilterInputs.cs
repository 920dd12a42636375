using System.Buffers;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using SpanRecovery.Generation;
using SpanRecovery.Otlp;
using SpanRecovery.Restore;
using SpanRecovery.Tests.OtlpReading;

namespace SpanRecovery.Tests.Restore;

/// <summary>Either record filter, so each test can run against both formats.</summary>
internal delegate RecordFilterResult RecordFilter(ReadOnlySpan<byte> record, long recordOffset, SpanPredicate keep, IBufferWriter<byte> output, RecordingSink keptSink);

/// <summary>The parser matching a filter, to read its input and output.</summary>
internal delegate void RecordParser(ReadOnlySpan<byte> record, long recordOffset, RecordingSink sink);

/// <summary>What one filter call did: its output, its result, what the predicate and the kept sink saw.</summary>
internal sealed record FilterRun(byte[] Output, RecordFilterResult Result, List<SeenSpan> Asked, List<SeenSpan> Kept)
{
    public const long RecordOffset = 4242;

    public static FilterRun Run(RecordFilter filter, byte[] record, Func<SeenSpan, bool> keep)
    {
        var asked = new RecordingSink();
        var kept = new RecordingSink();
        var output = new ArrayBufferWriter<byte>();
        var result = filter(record, RecordOffset, (in SpanView span) =>
        {
            asked.OnSpan(in span);
            return keep(asked.Spans.Last());
        }, output, kept);
        return new FilterRun(output.WrittenSpan.ToArray(), result, [.. asked.Spans], [.. kept.Spans]);
    }

    public static List<SeenSpan> Parse(RecordParser parser, byte[] record)
    {
        var sink = new RecordingSink();
        parser(record, RecordOffset, sink);
        return [.. sink.Spans];
    }
}

/// <summary>Records for the filter tests: random TracesData in protobuf and OTLP/JSON, and end-time thresholds.</summary>
internal static class RecordFilterInputs
{
    public static readonly RecordFilter Protobuf = ProtobufRecordFilter.Filter;
    public static readonly RecordFilter Json = JsonRecordFilter.Filter;
    public static readonly RecordParser ReadProtobuf = ProtobufTracesParser.Parse;
    public static readonly RecordParser ReadJson = JsonTracesParser.Parse;

    /// <summary>Several resources and scopes (some empty, some in the old field 1000), spans ending at a handful of distinct times.</summary>
    public static TracesData Random(int seed)
    {
        var random = new Random(seed);
        var data = new TracesData();
        for (int r = 0, resources = random.Next(1, 4); r < resources; r++)
        {
            var resourceSpans = new ResourceSpans
            {
                Resource = new Resource { Attributes = { Attribute("service.name", $"svc-{r}") }, DroppedAttributesCount = (uint)r },
                SchemaUrl = $"https://example.com/resource/{r}",
            };
            for (int s = 0, scopes = random.Next(0, 4); s < scopes; s++)
            {
                var scope = new ScopeSpans { Scope = new InstrumentationScope { Name = $"lib-{r}-{s}", Version = "1.0" }, SchemaUrl = "scope-schema" };
                for (int i = 0, spans = random.Next(0, 6); i < spans; i++)
                    scope.Spans.Add(Span(random, seed, data.ResourceSpans.Count * 100 + s * 10 + i));
                (random.Next(4) == 0 ? resourceSpans.InstrumentationLibrarySpans : resourceSpans.ScopeSpans).Add(scope);
            }

            data.ResourceSpans.Add(resourceSpans);
        }

        return data;
    }

    /// <summary>A threshold that sometimes keeps all, sometimes none, mostly some of the spans.</summary>
    public static ulong Threshold(int seed, IReadOnlyList<SeenSpan> spans) => new Random(seed ^ 0x5EED).Next(8) switch
    {
        0 => ulong.MaxValue,
        1 => 0,
        _ when spans.Count == 0 => 0,
        _ => spans[new Random(seed).Next(spans.Count)].End,
    };

    /// <summary>OTLP/JSON as <see cref="OtlpJsonWriter"/> writes it, compact or indented.</summary>
    public static byte[] ToJson(TracesData data, bool indented)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = indented }))
            OtlpJsonWriter.Write(json, data);
        return stream.ToArray();
    }

    /// <summary>The old OTLP/JSON names, as pre-1.0 exporters wrote them.</summary>
    public static byte[] WithLegacyNames(byte[] json) => Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(json)
        .Replace("\"scopeSpans\"", "\"instrumentationLibrarySpans\"", StringComparison.Ordinal)
        .Replace("\"scope\"", "\"instrumentationLibrary\"", StringComparison.Ordinal));

    /// <summary>Each span with the resource and scope around it, as Google.Protobuf reads them (field 1000 included).</summary>
    public static List<(Resource Resource, string ResourceSchema, InstrumentationScope Scope, string ScopeSchema, Span Span)> ProtobufContexts(byte[] record) =>
    [
        .. from rs in TracesData.Parser.ParseFrom(record).ResourceSpans
           from ss in rs.ScopeSpans.Concat(rs.InstrumentationLibrarySpans)
           from span in ss.Spans
           select (rs.Resource, rs.SchemaUrl, ss.Scope, ss.SchemaUrl, span),
    ];

    /// <summary>Each span's text with the text of the resource and scope around it, by any of the parser's names.</summary>
    public static List<(string Resource, string Scope, string Span)> JsonContexts(byte[] document)
    {
        using var json = JsonDocument.Parse(document);
        var contexts = new List<(string, string, string)>();
        foreach (var resourceSpans in Elements(json.RootElement, "resourceSpans", "resource_spans"))
        {
            var resource = Text(resourceSpans, "resource");
            foreach (var scopeSpans in Elements(resourceSpans, "scopeSpans", "scope_spans", "instrumentationLibrarySpans", "instrumentation_library_spans"))
            {
                var scope = Text(scopeSpans, "scope") + Text(scopeSpans, "instrumentationLibrary") + Text(scopeSpans, "schemaUrl");
                contexts.AddRange(Elements(scopeSpans, "spans").Select(span => (resource, scope, span.GetRawText())));
            }
        }

        return contexts;
    }

    private static IEnumerable<JsonElement> Elements(JsonElement parent, params string[] names) =>
        parent.EnumerateObject()
            .Where(p => names.Contains(p.Name) && p.Value.ValueKind == JsonValueKind.Array)
            .SelectMany(p => p.Value.EnumerateArray());

    private static string Text(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) ? value.GetRawText() : "";

    private static Span Span(Random random, int seed, int index)
    {
        var span = TestInputs.ValidSpan(seed, index);
        span.EndTimeUnixNano = TestInputs.BaseTime + (ulong)random.Next(0, 6) * 1_000_000_000;
        span.Attributes.Add(Attribute("http.route", $"/r/{index}"));
        if (random.Next(3) == 0)
            span.ParentSpanId = ByteString.CopyFrom(TestInputs.Id(8, seed, index + 1));
        return span;
    }

    private static KeyValue Attribute(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };
}
