using System.Text;
using SpanRecovery.Otlp;
using SpanRecovery.Validation;

namespace SpanRecovery.Tests.OtlpReading;

/// <summary>OTLP/JSON as real writers emit it (otlp-facts.md "OTLP/JSON").</summary>
public class JsonSpecificsTests
{
    private const string Trace = "5b8efff798038103d269b633813fc60c";
    private const string SpanId = "eee19b7ec3c1b174";
    private const string Parent = "eee19b7ec3c1b173";

    private static RecordingSink Parse(string json)
    {
        var sink = new RecordingSink();
        JsonTracesParser.Parse(Encoding.UTF8.GetBytes(json), 0, sink);
        return sink;
    }

    private static string Doc(string spanFields, string resourceExtra = "", string scopeKey = "scopeSpans") =>
        $$"""{"resourceSpans":[{"resource":{}{{resourceExtra}},"{{scopeKey}}":[{"spans":[{{{spanFields}}}]}]}]}""";

    [Fact]
    public void Uppercase_and_lowercase_hex_give_the_same_ids()
    {
        var lower = Assert.Single(Parse(Doc($"\"traceId\":\"{Trace}\",\"spanId\":\"{SpanId}\",\"parentSpanId\":\"{Parent}\"")).Spans);
        var upper = Assert.Single(Parse(Doc($"\"traceId\":\"{Trace.ToUpperInvariant()}\",\"spanId\":\"{SpanId.ToUpperInvariant()}\",\"parentSpanId\":\"{Parent.ToUpperInvariant()}\"")).Spans);
        var mixed = Assert.Single(Parse(Doc("\"traceId\":\"5B8efff798038103D269b633813FC60c\",\"spanId\":\"EEE19b7ec3c1B174\",\"parentSpanId\":\"eee19B7EC3C1b173\"")).Spans);

        Assert.Equal((Trace, SpanId, Parent), (lower.TraceId, lower.SpanId, lower.ParentSpanId));
        Assert.Equal((lower.TraceId, lower.SpanId, lower.ParentSpanId), (upper.TraceId, upper.SpanId, upper.ParentSpanId));
        Assert.Equal((lower.TraceId, lower.SpanId, lower.ParentSpanId), (mixed.TraceId, mixed.SpanId, mixed.ParentSpanId));
        Assert.Equal(IdEncodingProblems.None, upper.Problems);
    }

    [Theory]
    [InlineData("\"1544712660000000000\"", 1544712660000000000UL)]
    [InlineData("1544712660000000000", 1544712660000000000UL)]
    [InlineData("9007199254740993", 9007199254740993UL)] // 2^53 + 1: a double would give ...992
    [InlineData("\"9007199254740993\"", 9007199254740993UL)]
    [InlineData("18446744073709551615", ulong.MaxValue)]
    [InlineData("\"18446744073709551615\"", ulong.MaxValue)]
    [InlineData("1700000000123456789", 1700000000123456789UL)] // not representable as a double
    [InlineData("0", 0UL)]
    [InlineData("null", 0UL)]
    public void Times_as_strings_and_numbers_are_parsed_exactly(string json, ulong expected)
    {
        var span = Assert.Single(Parse(Doc($"\"traceId\":\"{Trace}\",\"spanId\":\"{SpanId}\",\"startTimeUnixNano\":{json},\"endTimeUnixNano\":{json}")).Spans);

        Assert.Equal(expected, span.Start);
        Assert.Equal(expected, span.End);
    }

    [Theory]
    [InlineData("\"-1\"")]
    [InlineData("-1")]
    [InlineData("18446744073709551616")]
    [InlineData("1.5")]
    [InlineData("\"12abc\"")]
    [InlineData("true")]
    public void Time_that_is_not_an_unsigned_64_bit_integer_is_malformed(string json) =>
        Assert.Throws<MalformedInputException>(() => Parse(Doc($"\"traceId\":\"{Trace}\",\"startTimeUnixNano\":{json}")));

    [Theory]
    [InlineData("\"SPAN_KIND_SERVER\"")]
    [InlineData("\"SPAN_KIND_UNSPECIFIED\"")]
    [InlineData("2")]
    public void Kind_as_enum_name_or_number_is_accepted(string kind)
    {
        var span = Assert.Single(Parse(Doc($"\"traceId\":\"{Trace}\",\"spanId\":\"{SpanId}\",\"kind\":{kind},\"status\":{{\"code\":\"STATUS_CODE_ERROR\"}}")).Spans);

        Assert.Equal(Trace, span.TraceId);
    }

    [Fact]
    public void Instrumentation_library_spans_are_read()
    {
        var json = $$"""
            {"resourceSpans":[{"resource":{"attributes":[]},"instrumentationLibrarySpans":[{"instrumentationLibrary":{"name":"old","version":"0.1"},
              "spans":[{"traceId":"{{Trace}}","spanId":"{{SpanId}}"},{"traceId":"{{Trace}}","spanId":"{{Parent}}"}]}]}]}
            """;

        var spans = Parse(json).Spans.ToList();

        Assert.Equal([SpanId, Parent], spans.Select(s => s.SpanId));
    }

    [Fact]
    public void Unknown_fields_are_ignored_at_every_level_even_when_they_hold_span_like_data()
    {
        var decoy = $$"""{"spans":[{"traceId":"{{Trace}}","spanId":"0000000000000bad"}],"scopeSpans":[{"spans":[{"spanId":"0000000000000bad"}]}]}""";
        var json = $$$"""
            {"futureTopLevel":{{{decoy}}},"resourceSpans":[{"resource":{"attributes":[{"key":"k","value":{"kvlistValue":{"values":[]} } }]},
              "newField":[1,2,{"a":[{}]}],"entityRefs":[{{{decoy}}}],
              "scopeSpans":[{"scope":{"name":"s"},"unknown":{{{decoy}}},"spans":[{"traceId":"{{{Trace}}}","spanId":"{{{SpanId}}}",
                "someNewSpanField":{{{decoy}}},"events":[{"name":"e","spans":[]}],"links":[{"traceId":"{{{Trace}}}","spanId":"0000000000000bad"}],
                "status":{"code":2,"message":"x"}}],"schemaUrl":"u"}],"schemaUrl":"u"}],"extra":[{{{decoy}}}]}
            """;

        var span = Assert.Single(Parse(json).Spans);

        Assert.Equal(SpanId, span.SpanId);
    }

    [Fact]
    public void Null_values_are_absent_values()
    {
        var json = $$"""
            {"resourceSpans":[
              {"resource":null,"scopeSpans":null},
              {"resource":{"attributes":null},"scopeSpans":[{"scope":null,"spans":null},{"spans":[
                {"traceId":"{{Trace}}","spanId":"{{SpanId}}","parentSpanId":null,"traceState":null,"name":null,"kind":null,
                 "startTimeUnixNano":null,"endTimeUnixNano":"5","attributes":null,"events":null,"links":null,"status":null}]}]}]}
            """;

        var span = Assert.Single(Parse(json).Spans);

        Assert.Equal("", span.ParentSpanId);
        Assert.Equal(0UL, span.Start);
        Assert.Equal(5UL, span.End);
    }

    [Fact]
    public void Empty_string_parent_is_a_root()
    {
        var span = Assert.Single(Parse(Doc($"\"traceId\":\"{Trace}\",\"spanId\":\"{SpanId}\",\"parentSpanId\":\"\"")).Spans);

        Assert.Equal("", span.ParentSpanId);
        Assert.Equal(IdEncodingProblems.None, span.Problems);
    }

    [Fact]
    public void Escaped_hex_id_is_decoded()
    {
        var span = Assert.Single(Parse(Doc($"\"traceId\":\"\\u0035b8efff798038103d269b633813fc60c\",\"spanId\":\"{SpanId}\"")).Spans);

        Assert.Equal(Trace, span.TraceId);
    }

    [Fact]
    public void Proto_field_names_are_accepted()
    {
        var json = $$"""{"resource_spans":[{"scope_spans":[{"spans":[{"trace_id":"{{Trace}}","span_id":"{{SpanId}}","parent_span_id":"{{Parent}}","start_time_unix_nano":"7","end_time_unix_nano":8}]}]}]}""";

        var span = Assert.Single(Parse(json).Spans);

        Assert.Equal((Trace, SpanId, Parent, 7UL, 8UL), (span.TraceId, span.SpanId, span.ParentSpanId, span.Start, span.End));
    }

    [Fact]
    public async Task Json_documents_in_zstd_record_framing_are_read()
    {
        // The collector's file exporter with format: json and compression: zstd.
        using var dir = new TempDirectory();
        var documents = Enumerable.Range(0, 3).Select(i => Encoding.UTF8.GetBytes(TestInputs.JsonDocument(1, i))).ToArray();
        var path = dir.WriteFile("traces.json.zst-records", TestInputs.ZstdRecords(documents));

        var report = await TestInputs.ValidateFileAsync(path);

        Assert.True(report.ExitCode == 0, ValidationReportWriter.ToText(report));
        Assert.Equal(3, report.Totals.Spans);
        Assert.Equal("length-prefixed", report.Inputs[0].Format);
        Assert.Equal("zstd-record", report.Inputs[0].Compression);
    }

    [Fact]
    public async Task Pretty_json_sample_in_zstd_record_framing_is_read()
    {
        using var dir = new TempDirectory();
        var sample = await File.ReadAllBytesAsync(TestPaths.Sample("jaeger_memory_otel_traces_01.json"));
        var path = dir.WriteFile("pretty.records", TestInputs.ZstdRecords(sample, TestInputs.Record(2, 5)));

        var report = await TestInputs.ValidateFileAsync(path);

        Assert.False(report.HasInputErrors, ValidationReportWriter.ToText(report));
        Assert.Equal(6, report.Totals.Spans);
    }

    [Fact]
    public async Task Byte_identical_json_span_repeated_is_an_identical_duplicate()
    {
        using var dir = new TempDirectory();
        var json = dir.WriteFile("a.jsonl", TestInputs.JsonLines(TestInputs.JsonDocument(1, 0), TestInputs.JsonDocument(1, 0)));

        var report = await TestInputs.ValidateFileAsync(json);

        Assert.Equal(1, report.Count(Rule.DuplicateSpanIdentical));
        Assert.Equal(0, report.Count(Rule.DuplicateSpan));
    }
}
