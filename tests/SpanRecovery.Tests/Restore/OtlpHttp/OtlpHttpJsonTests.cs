using System.Text.Json;
using SpanRecovery.Otlp;
using SpanRecovery.Restore;
using SpanRecovery.Tests.OtlpReading;

namespace SpanRecovery.Tests.Restore;

/// <summary>OTLP/JSON records are converted to protobuf and arrive as the JSON reader sees them.</summary>
public sealed class OtlpHttpJsonTests
{
    public static TheoryData<string> HexIdSamples => new()
    {
        "otel-proto_trace.json",
        "otel-rust_traces.json",
        "duckdb-otlp_multifile_valid_traces.jsonl",
        "jaeger_memory_otel_traces_01.json",
        "ottl-playground_traces.json",
        "gcp-opsgo_traces_basic.json",
        "otel-desktop-viewer_span.json",
    };

    [Theory]
    [MemberData(nameof(HexIdSamples))]
    public async Task A_JSON_sample_arrives_with_the_spans_the_JSON_reader_reads(string sample)
    {
        var documents = Documents(sample);
        var sink = new RecordingSink();
        foreach (var document in documents)
            JsonTracesParser.Parse(document, 0, sink);
        await using var receiver = new OtlpTestReceiver();

        var result = await TestTraces.RestoreAsync(receiver, documents, TestTraces.FastOptions(maxBatchBytes: 1 << 20), encoding: RecordEncoding.Json);

        Assert.True(result.Complete);
        var expected = sink.Spans.Select(s => $"{s.TraceId}/{s.SpanId}/{s.ParentSpanId}/{s.Start}/{s.End}").Order().ToList();
        Assert.NotEmpty(expected);
        var received = receiver.Delivered.SelectMany(d => d.Request.ResourceSpans).SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans)
            .Select(s => $"{Convert.ToHexStringLower(s.TraceId.Span)}/{Convert.ToHexStringLower(s.SpanId.Span)}/{Convert.ToHexStringLower(s.ParentSpanId.Span)}/{s.StartTimeUnixNano}/{s.EndTimeUnixNano}");
        Assert.Equal(expected, received.Order());
    }

    [Fact]
    public async Task Base64_ids_in_JSON_arrive_as_the_same_spans_as_the_protobuf_twin()
    {
        await using var fromJson = new OtlpTestReceiver();
        await using var fromProtobuf = new OtlpTestReceiver();

        await TestTraces.RestoreAsync(fromJson, Documents("otlp2parquet_traces.jsonl"), TestTraces.FastOptions(), encoding: RecordEncoding.Json);
        await TestTraces.RestoreAsync(fromProtobuf, [File.ReadAllBytes(TestPaths.Sample("otlp2parquet_traces.pb"))], TestTraces.FastOptions());

        Assert.Equal(19, fromJson.DeliveredSpans().Count);
        Assert.Equal(fromProtobuf.DeliveredSpans().Order(), fromJson.DeliveredSpans().Order());
    }

    [Fact]
    public void Old_names_and_numeric_64_bit_values_are_understood()
    {
        var json = """
            {"resourceSpans":[{"resource":{"attributes":[{"key":"big","value":{"intValue":9007199254740993}}]},
              "instrumentationLibrarySpans":[{"instrumentationLibrary":{"name":"old-lib"},
                "spans":[{"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"eee19b7ec3c1b174","kind":"SPAN_KIND_SERVER",
                  "startTimeUnixNano":1544712660000000001,"endTimeUnixNano":"1544712661000000001","unknownField":true}]}]}]}
            """u8;

        var data = OpenTelemetry.Proto.Trace.V1.TracesData.Parser.ParseFrom(OtlpJsonToProtobuf.Convert(json));

        var resourceSpans = Assert.Single(data.ResourceSpans);
        Assert.Equal(9007199254740993, resourceSpans.Resource.Attributes[0].Value.IntValue);
        var scope = Assert.Single(resourceSpans.ScopeSpans);
        Assert.Equal("old-lib", scope.Scope.Name);
        var span = Assert.Single(scope.Spans);
        Assert.Equal("5b8efff798038103d269b633813fc60c", Convert.ToHexStringLower(span.TraceId.Span));
        Assert.Equal(1544712660000000001UL, span.StartTimeUnixNano);
        Assert.Equal(1544712661000000001UL, span.EndTimeUnixNano);
        Assert.Equal(OpenTelemetry.Proto.Trace.V1.Span.Types.SpanKind.Server, span.Kind);
    }

    [Fact]
    public void Invalid_JSON_is_a_malformed_record() =>
        Assert.Throws<MalformedInputException>(() => OtlpJsonToProtobuf.Convert("{\"resourceSpans\":[{]}"u8));

    /// <summary>The top-level JSON values of a sample: one document, JSON lines or concatenated documents.</summary>
    private static List<byte[]> Documents(string sample)
    {
        var bytes = File.ReadAllBytes(TestPaths.Sample(sample));
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { AllowMultipleValues = true });
        var documents = new List<byte[]>();
        while (reader.Read())
        {
            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            documents.Add(bytes[start..(int)reader.BytesConsumed]);
        }

        return documents;
    }
}
