using System.Text;
using Google.Protobuf;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using SpanRecovery.Otlp;

namespace SpanRecovery.Fuzz;

/// <summary>
/// Writes the starting corpus, <c>fuzz/corpus/&lt;harness&gt;/</c>: a few small real files from tests/fixtures/samples and
/// records built with Google.Protobuf (valid ones and ones with every kind of span defect), in each harness's
/// container. Seeds stay small (AFL works best on inputs under a few KB). Deterministic, so rerunning
/// <c>make-corpus</c> reproduces the committed files.
/// </summary>
public static class CorpusBuilder
{
    private static readonly string[] JsonSamples =
    [
        "otel-proto_trace.json", "duckdb-otlp_multifile_valid_traces.jsonl", "otel-desktop-viewer_span.json",
        "ottl-playground_traces.json", "otel-rust_traces.json",
    ];

    private const string RawSample = "otel-proto_trace.protobuf-bin";
    private const string LargerRawSample = "otlp2parquet_traces.pb";

    public static void Write(string corpusDirectory, string samplesDirectory)
    {
        byte[] Sample(string name) => File.ReadAllBytes(Path.Combine(samplesDirectory, name));

        var valid = Record(ValidTrace()).ToByteArray();
        var defects = Record(DefectiveSpans()).ToByteArray();
        var legacy = LegacyScopeField(ValidTrace()[..2]);
        var raw = Sample(RawSample);
        var jsonLines = Encoding.UTF8.GetBytes(HandmadeJsonLines);
        var jsonOdd = Encoding.UTF8.GetBytes(HandmadeJsonOddities);
        var jsonOddDocuments = HandmadeJsonOddities.Split("\n\n").Select(Encoding.UTF8.GetBytes).ToArray();
        var jsonLine = Sample("duckdb-otlp_multifile_valid_traces.jsonl");
        var lengthPrefixed = LengthPrefixedRecord.Frame([valid, defects]);

        var seeds = new Dictionary<string, Dictionary<string, byte[]>>
        {
            [nameof(FuzzTargets.LengthPrefixed)] = new()
            {
                ["valid-and-defects.bin"] = lengthPrefixed,
                ["one-record.bin"] = LengthPrefixedRecord.Frame([valid]),
                ["sample-otel-proto.bin"] = LengthPrefixedRecord.Frame([raw]),
                ["legacy-field-1000.bin"] = LengthPrefixedRecord.Frame([legacy]),
                ["empty-record-then-record.bin"] = LengthPrefixedRecord.Frame([[], valid]),
                ["json-payload.bin"] = LengthPrefixedRecord.Frame([jsonLine]),
            },
            [nameof(FuzzTargets.ZstdRecord)] = new()
            {
                ["valid-and-defects.bin"] = LengthPrefixedRecord.Frame([ContainerFormats.Zstd(valid), ContainerFormats.Zstd(defects)]),
                ["sample-otel-proto.bin"] = LengthPrefixedRecord.Frame([ContainerFormats.Zstd(raw)]),
                ["json-documents.bin"] = LengthPrefixedRecord.Frame(jsonOddDocuments.Prepend(jsonLine).Select(d => ContainerFormats.Zstd(d))),
            },
            [nameof(FuzzTargets.Zstd)] = new()
            {
                ["length-prefixed.zst"] = ContainerFormats.Zstd(lengthPrefixed),
                ["length-prefixed-two-frames-mid-record.zst"] = [.. ContainerFormats.Zstd(lengthPrefixed[..100]), .. ContainerFormats.Zstd(lengthPrefixed[100..])],
                ["json-lines.zst"] = ContainerFormats.Zstd(jsonLines),
                ["raw-sample.zst"] = ContainerFormats.Zstd(raw),
            },
            [nameof(FuzzTargets.Gzip)] = new()
            {
                ["length-prefixed.gz"] = ContainerFormats.Gzip(lengthPrefixed),
                ["length-prefixed-two-members.gz"] = [.. ContainerFormats.Gzip(lengthPrefixed[..100]), .. ContainerFormats.Gzip(lengthPrefixed[100..])],
                ["json-sample.gz"] = ContainerFormats.Gzip(Sample("otel-proto_trace.json")),
                ["raw-sample.gz"] = ContainerFormats.Gzip(raw),
            },
            [nameof(FuzzTargets.Json)] = JsonSamples.ToDictionary(name => "sample-" + name, Sample),
            [nameof(FuzzTargets.Raw)] = new()
            {
                ["sample-" + RawSample] = raw,
                ["sample-" + LargerRawSample] = Sample(LargerRawSample),
                ["valid.binpb"] = valid,
                ["defects.binpb"] = defects,
                ["legacy-field-1000.binpb"] = legacy,
            },
        };
        seeds[nameof(FuzzTargets.Json)]["handmade-lines.jsonl"] = jsonLines;
        seeds[nameof(FuzzTargets.Json)]["handmade-oddities.json"] = jsonOdd;

        // The restore parsers take one record: the records of the LengthPrefixed/Raw seeds without framing, and
        // single JSON documents (the Json seeds split into their documents).
        seeds[nameof(FuzzTargets.ProtobufRecordFilter)] = new()
        {
            ["sample-" + RawSample] = raw,
            ["sample-" + LargerRawSample] = Sample(LargerRawSample),
            ["valid.binpb"] = valid,
            ["defects.binpb"] = defects,
            ["legacy-field-1000.binpb"] = legacy,
            ["resources-and-scopes.binpb"] = ResourcesAndScopes().ToByteArray(),
        };
        var jsonDocuments = new Dictionary<string, byte[]>();
        foreach (var name in JsonSamples)
            jsonDocuments["sample-" + name] = Sample(name);
        var handmadeLines = HandmadeJsonLines.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < handmadeLines.Length; i++)
            jsonDocuments[$"handmade-line-{i + 1}.json"] = Encoding.UTF8.GetBytes(handmadeLines[i]);
        for (var i = 0; i < jsonOddDocuments.Length; i++)
            jsonDocuments[$"handmade-oddities-{i + 1}.json"] = jsonOddDocuments[i];
        jsonDocuments["handmade-resources-and-scopes.json"] = Encoding.UTF8.GetBytes(HandmadeJsonResourcesAndScopes);
        seeds[nameof(FuzzTargets.JsonRecordFilter)] = jsonDocuments;
        seeds[nameof(FuzzTargets.OtlpJsonToProtobuf)] = new(jsonDocuments)
        {
            ["handmade-every-field.json"] = Encoding.UTF8.GetBytes(HandmadeJsonEveryField),
            // Found by this harness: a repeated property name made JsonObject throw an ArgumentException.
            ["regression-duplicate-property.json"] = Encoding.UTF8.GetBytes(
                """{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b173","spanId":"eee19b7ec3c1b174","startTimeUnixNano":"1","endTimeUnixNano":"2"}]}]}]}"""),
        };

        foreach (var (harness, files) in seeds)
        {
            var directory = Path.Combine(corpusDirectory, harness);
            Directory.CreateDirectory(directory);
            foreach (var (name, bytes) in files)
                File.WriteAllBytes(Path.Combine(directory, name), bytes);
        }
    }

    /// <summary>A root and two children, with attributes, an event, a link and a status.</summary>
    private static Span[] ValidTrace()
    {
        var traceId = ByteString.CopyFrom(Convert.FromHexString("5b8efff798038103d269b633813fc60c"));
        var root = MakeSpan(traceId, "eee19b7ec3c1b173", "", "GET /api/cart", 0);
        var child = MakeSpan(traceId, "eee19b7ec3c1b174", "eee19b7ec3c1b173", "SELECT cart", 1);
        var grandchild = MakeSpan(traceId, "eee19b7ec3c1b175", "eee19b7ec3c1b174", "redis GET", 2);
        child.Links.Add(new Span.Types.Link { TraceId = traceId, SpanId = root.SpanId, Flags = 1 });
        return [root, child, grandchild];
    }

    /// <summary>One span for each rule of docs/rules.md that a span can break, plus a duplicate, a conflicting duplicate and a cycle.</summary>
    private static Span[] DefectiveSpans()
    {
        var trace = ByteString.CopyFrom(Convert.FromHexString("0af7651916cd43dd8448eb211c80319c"));
        var spans = new List<Span>
        {
            MakeSpan(ByteString.Empty, "b7ad6b7169203331", "", "trace-id-missing", 0),
            MakeSpan(ByteString.CopyFrom(1, 2, 3, 4), "b7ad6b7169203332", "", "trace-id-invalid-length", 0),
            MakeSpan(ByteString.CopyFrom(new byte[16]), "b7ad6b7169203333", "", "trace-id-zero", 0),
            MakeSpan(trace, "", "", "span-id-missing", 0),
            MakeSpan(trace, "b7ad6b71", "", "span-id-invalid-length", 0),
            MakeSpan(trace, "0000000000000000", "", "span-id-zero", 0),
            MakeSpan(trace, "b7ad6b7169203334", "b7ad", "parent-id-invalid-length", 0),
            MakeSpan(trace, "b7ad6b7169203335", "0000000000000000", "parent-id-zero", 0),
            MakeSpan(trace, "b7ad6b7169203336", "b7ad6b7169203336", "parent-is-self", 0),
            MakeSpan(trace, "b7ad6b7169203337", "ffffffffffffffff", "parent-not-found", 0),
            MakeSpan(trace, "b7ad6b7169203338", "b7ad6b7169203339", "cycle-a", 0),
            MakeSpan(trace, "b7ad6b7169203339", "b7ad6b7169203338", "cycle-b", 0),
        };
        var times = MakeSpan(trace, "b7ad6b7169203340", "", "start-time-missing", 0);
        times.StartTimeUnixNano = 0;
        spans.Add(times);
        var backwards = MakeSpan(trace, "b7ad6b7169203341", "", "end-before-start", 0);
        backwards.EndTimeUnixNano = backwards.StartTimeUnixNano - 1;
        spans.Add(backwards);
        var ancient = MakeSpan(trace, "b7ad6b7169203342", "", "timestamp-out-of-range", 0);
        (ancient.StartTimeUnixNano, ancient.EndTimeUnixNano) = (1, 2);
        spans.Add(ancient);
        var long_ = MakeSpan(trace, "b7ad6b7169203343", "", "duration-too-long", 0);
        long_.EndTimeUnixNano += 3UL * 24 * 3600 * 1_000_000_000;
        spans.Add(long_);
        spans.Add(spans[^1].Clone()); // duplicate-span-identical
        var conflicting = spans[^1].Clone();
        conflicting.Name = "duplicate-span";
        spans.Add(conflicting);
        return [.. spans];
    }

    private static Span MakeSpan(ByteString traceId, string spanId, string parentId, string name, int depth)
    {
        const ulong Start = 1_764_000_000_000_000_000; // 2025-11-24
        var start = Start + ((ulong)depth * 1_000_000);
        return new Span
        {
            TraceId = traceId,
            SpanId = ByteString.CopyFrom(Convert.FromHexString(spanId)),
            ParentSpanId = ByteString.CopyFrom(Convert.FromHexString(parentId)),
            TraceState = depth == 0 ? "rojo=00f067aa0ba902b7" : "",
            Name = name,
            Kind = Span.Types.SpanKind.Server,
            StartTimeUnixNano = start,
            EndTimeUnixNano = start + 2_500_000,
            Attributes =
            {
                new KeyValue { Key = "http.method", Value = new AnyValue { StringValue = "GET" } },
                new KeyValue { Key = "http.status_code", Value = new AnyValue { IntValue = 200 } },
            },
            Events = { new Span.Types.Event { Name = "retry", TimeUnixNano = start + 1000 } },
            Status = new Status { Code = Status.Types.StatusCode.Ok },
            Flags = 0x101,
        };
    }

    private static TracesData Record(IEnumerable<Span> spans) => new()
    {
        ResourceSpans =
        {
            new ResourceSpans
            {
                Resource = new Resource { Attributes = { new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = "cart" } } } },
                ScopeSpans = { new ScopeSpans { Scope = new InstrumentationScope { Name = "fuzz", Version = "1.0" }, Spans = { spans } } },
            },
        },
    };

    /// <summary>
    /// Two resources of two scopes each, the valid and the defective spans spread over them, plus a resource and
    /// a scope without spans: what the filters splice when they drop some spans of some scopes.
    /// </summary>
    private static TracesData ResourcesAndScopes()
    {
        var spans = ValidTrace().Concat(DefectiveSpans().Take(4)).ToArray();
        ScopeSpans Scope(string name, IEnumerable<Span> scopeSpans) => new() { Scope = new InstrumentationScope { Name = name }, Spans = { scopeSpans } };
        ResourceSpans Resource(string service, params ScopeSpans[] scopes) => new()
        {
            Resource = new Resource { Attributes = { new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = service } } } },
            ScopeSpans = { scopes },
            SchemaUrl = "https://opentelemetry.io/schemas/1.26.0",
        };
        return new TracesData
        {
            ResourceSpans =
            {
                Resource("cart", Scope("a", spans[..2]), Scope("empty", []), Scope("b", spans[2..4])),
                Resource("no-spans"),
                Resource("db", Scope("c", spans[4..5]), Scope("d", spans[5..])),
            },
        };
    }

    /// <summary>ResourceSpans with the spans under the deprecated field 1000 (instrumentation_library_spans).</summary>
    private static byte[] LegacyScopeField(IEnumerable<Span> spans)
    {
        var scopeSpans = new ScopeSpans { Spans = { spans } }.ToByteString();
        using var resourceSpans = new MemoryStream();
        using (var output = new CodedOutputStream(resourceSpans, leaveOpen: true))
        {
            output.WriteTag(1000, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(scopeSpans);
        }

        using var record = new MemoryStream();
        using (var output = new CodedOutputStream(record, leaveOpen: true))
        {
            output.WriteTag(1, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(resourceSpans.ToArray()));
        }

        return record.ToArray();
    }

    /// <summary>Two JSON lines: lowerCamelCase with a number time, then proto field names with null and string times.</summary>
    private const string HandmadeJsonLines =
        """
        {"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"cart"}}]},"scopeSpans":[{"scope":{"name":"fuzz"},"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","parentSpanId":"eee19b7ec3c1b173","name":"a","kind":2,"startTimeUnixNano":"1764000000000000000","endTimeUnixNano":1764000001000000000,"attributes":[{"key":"n","value":{"intValue":"1"}}],"events":[{"timeUnixNano":"1764000000500000000","name":"e"}],"status":{"code":1}}]}]}]}
        {"resource_spans":[{"scope_spans":[{"spans":[{"trace_id":"5B8EFFF798038103D269B633813FC60C","span_id":"EEE19B7EC3C1B173","parent_span_id":null,"start_time_unix_nano":1763999999000000000,"end_time_unix_nano":"1764000002000000000"}]}]}]}

        """;

    /// <summary>Two resources of two scopes each, with a scope and a resource without spans, and the legacy scope name next to the new one.</summary>
    private const string HandmadeJsonResourcesAndScopes =
        """
        {"resourceSpans":[
         {"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"cart"}}]},"scopeSpans":[
          {"scope":{"name":"a"},"spans":[
           {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b173","name":"root","startTimeUnixNano":"1764000000000000000","endTimeUnixNano":"1764000003000000000"},
           {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","parentSpanId":"eee19b7ec3c1b173","name":"child","startTimeUnixNano":"1764000001000000000","endTimeUnixNano":"1764000002000000000"}]},
          {"scope":{"name":"empty"},"spans":[]},
          {"scope":{"name":"b"},"spans":[
           {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b175","parentSpanId":"eee19b7ec3c1b174","startTimeUnixNano":1764000001500000000,"endTimeUnixNano":1764000001600000000}]}],
          "instrumentationLibrarySpans":[{"instrumentationLibrary":{"name":"old"},"spans":[
           {"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","startTimeUnixNano":"1764000000000000000","endTimeUnixNano":"1764000004000000000"}]}]},
         {"resource":{},"scopeSpans":[{"scope":{"name":"no-spans"}}]},
         {"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"db"}}]},"scope_spans":[
          {"scope":{"name":"c"},"spans":[
           {"trace_id":"0af7651916cd43dd8448eb211c80319c","span_id":"b7ad6b7169203332","start_time_unix_nano":"1764000000000000000","end_time_unix_nano":"1764000000500000000"},
           {"trace_id":"0af7651916cd43dd8448eb211c80319c","span_id":"b7ad6b7169203333","parent_span_id":"b7ad6b7169203332","start_time_unix_nano":"1764000000100000000","end_time_unix_nano":"1764000000400000000"}]}]}
        ]}
        """;

    /// <summary>A span with every kind of field the OTLP/JSON converter fixes up: 64-bit numbers, nested attribute values, events, links, the legacy scope.</summary>
    private const string HandmadeJsonEveryField =
        """
        {"resourceSpans":[{"resource":{"attributes":[{"key":"n","value":{"intValue":9007199254740993}}],"droppedAttributesCount":0},
         "instrumentationLibrarySpans":[{"instrumentationLibrary":{"name":"lib","version":"1"},"spans":[
          {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b173","parentSpanId":"","traceState":"a=b","name":"s","kind":"SPAN_KIND_CLIENT","flags":257,
           "startTimeUnixNano":1764000000000000001,"endTimeUnixNano":"1764000000000000002",
           "attributes":[{"key":"a","value":{"arrayValue":{"values":[{"intValue":1},{"doubleValue":1.5},{"boolValue":true},{"bytesValue":"AQI="},
             {"kvlistValue":{"values":[{"key":"k","value":{"intValue":"-9223372036854775808"}}]}}]}}}],
           "events":[{"timeUnixNano":1764000000000000001,"name":"e","attributes":[{"key":"x","value":{"stringValue":"y"}}],"droppedAttributesCount":1}],
           "links":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","traceState":"","attributes":[],"flags":1}],
           "droppedAttributesCount":0,"droppedEventsCount":0,"droppedLinksCount":0,"status":{"message":"ok","code":"STATUS_CODE_OK"}}]}],
         "schemaUrl":""}]}
        """;

    /// <summary>Two pretty documents back to back: the legacy scope field, an escaped ID, non-hex and odd-length IDs, a BOM-less blank line.</summary>
    private const string HandmadeJsonOddities =
        """
        {
          "resourceSpans": [ { "instrumentationLibrarySpans": [ { "spans": [
            { "traceId": "\u0035b8efff798038103d269b633813fc60c", "spanId": "zz", "parentSpanId": "abc",
              "startTimeUnixNano": "1", "endTimeUnixNano": "0", "unknownField": [1, {"x": null}] } ] } ] } ]
        }

        {
          "resourceSpans": [ { "scopeSpans": [ { "spans": [
            { "traceId": "", "spanId": "eee19b7ec3c1b175", "startTimeUnixNano": 18446744073709551615, "endTimeUnixNano": null } ] } ] } ]
        }
        """;
}
