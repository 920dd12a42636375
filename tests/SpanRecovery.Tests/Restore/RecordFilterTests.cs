using FsCheck.Xunit;
using Google.Protobuf;
using SpanRecovery.Otlp;
using SpanRecovery.Tests.OtlpReading;
using static SpanRecovery.Tests.Restore.RecordFilterInputs;

namespace SpanRecovery.Tests.Restore;

/// <summary>
/// The point-in-time restore filters (docs/restore.md): the output of a filter holds exactly the input's spans that
/// stay, in order and byte for byte (same content hash), in the same resource and scope context, and the kept
/// sink and predicate see what the parsers see.
/// </summary>
public class RecordFilterTests
{
    [Property(MaxTest = 300)]
    public void Protobuf_output_holds_exactly_the_spans_ended_by_the_threshold_in_their_context(int seed)
    {
        AssertFiltersByEndTime(Protobuf, ReadProtobuf, new RandomTracesData(seed).Build(), seed);
        AssertFiltersByEndTime(Protobuf, ReadProtobuf, RecordFilterInputs.Random(seed).ToByteArray(), seed);
    }

    [Property(MaxTest = 300)]
    public void Json_output_holds_exactly_the_spans_ended_by_the_threshold_in_their_context(int seed, bool indented, bool legacyNames)
    {
        var json = ToJson(RecordFilterInputs.Random(seed), indented);
        AssertFiltersByEndTime(RecordFilterInputs.Json, ReadJson, legacyNames ? WithLegacyNames(json) : json, seed);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void Nothing_dropped_writes_the_record_byte_identical(string format)
    {
        var (filter, parser, record) = Sample(format);

        var run = FilterRun.Run(filter, record, _ => true);

        Assert.Equal(record, run.Output);
        Assert.Equal(FilterRun.Parse(parser, record), run.Kept);
        Assert.Equal(new(run.Kept.Count, 0), run.Result);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void Everything_dropped_writes_nothing(string format)
    {
        var (filter, parser, record) = Sample(format);

        var run = FilterRun.Run(filter, record, _ => false);

        Assert.Empty(run.Output);
        Assert.Empty(run.Kept);
        Assert.Equal(new(0, FilterRun.Parse(parser, record).Count), run.Result);
        Assert.True(run.Result.LostAllSpans);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void A_record_without_spans_is_written_unchanged(string format)
    {
        var record = format == "protobuf"
            ? new Wire().MessageField(1, new Wire().BytesField(3, "schema"u8)).ToArray()
            : """{"resourceSpans":[{"resource":{},"scopeSpans":[{"spans":[]}]}]}"""u8.ToArray();

        var run = FilterRun.Run(format == "protobuf" ? Protobuf : RecordFilterInputs.Json, record, _ => false);

        Assert.Equal(record, run.Output);
        Assert.Equal(new(0, 0), run.Result);
    }

    [Fact]
    public void Malformed_protobuf_throws_before_writing_or_reporting_anything()
    {
        // A good span, then a ScopeSpans whose span length runs past its end.
        var scope = new Wire().MessageField(2, Wire.Span(TestInputs.Id(16, 1, 1), TestInputs.Id(8, 1, 1), null, 1, 2));
        var record = new Wire().MessageField(1, new Wire().MessageField(2, scope.LyingMessageField(2, new Wire().VarintField(6, 1), 5))).ToArray();

        AssertMalformed(Protobuf, record);
    }

    [Theory]
    [InlineData("""{"resourceSpans":[{"scopeSpans":[{"spans":[{"spanId":"0102030405060708","endTimeUnixNano":"1"},{"endTimeUnixNano":"x"}]}]}]}""")]
    [InlineData("""{"resourceSpans":[{"scopeSpans":[{"spans":[{"spanId":"0102030405060708","endTimeUnixNano":"1"}]}]}]""")]
    [InlineData("""{"resourceSpans":[{"scopeSpans":[{"spans":[{"endTimeUnixNano":"1"}]}]}]} trailing""")]
    public void Malformed_json_throws_before_writing_or_reporting_anything(string json) =>
        AssertMalformed(RecordFilterInputs.Json, System.Text.Encoding.UTF8.GetBytes(json));

    [Fact]
    public void Protobuf_keeps_other_fields_and_the_old_field_1000_and_rewrites_lengths()
    {
        Wire Span(int index, ulong end) => Wire.Span(TestInputs.Id(16, 7, index), TestInputs.Id(8, 7, index), null, 1, end);
        var emptyScope = new Wire().BytesField(1, "empty scope"u8);
        var mixedScope = new Wire().BytesField(1, "mixed"u8).MessageField(2, Span(0, 10)).Fixed32Field(50, 7).MessageField(2, Span(1, 99));
        var lostScope = new Wire().MessageField(2, Span(2, 99));
        var legacyScope = new Wire().MessageField(2, Span(3, 99)).MessageField(2, Span(4, 5)).BytesField(3, "legacy schema"u8);
        var keptResource = new Wire().BytesField(1, "resource"u8).MessageField(2, emptyScope).MessageField(2, mixedScope)
            .MessageField(2, lostScope).VarintField(999, 3).MessageField(1000, legacyScope);
        var lostResource = new Wire().BytesField(1, "gone"u8).MessageField(2, new Wire().MessageField(2, Span(5, 99)));
        var record = new Wire().VarintField(17, 1).MessageField(1, keptResource).MessageField(1, lostResource).ToArray();

        var run = FilterRun.Run(Protobuf, record, span => span.End <= 10);

        var expected = new Wire().VarintField(17, 1).MessageField(1, new Wire().BytesField(1, "resource"u8).MessageField(2, emptyScope)
            .MessageField(2, new Wire().BytesField(1, "mixed"u8).MessageField(2, Span(0, 10)).Fixed32Field(50, 7))
            .VarintField(999, 3).MessageField(1000, new Wire().MessageField(2, Span(4, 5)).BytesField(3, "legacy schema"u8))).ToArray();
        Assert.Equal(expected, run.Output);
        Assert.Equal(new(2, 4), run.Result);
    }

    [Fact]
    public void Json_keeps_other_text_and_old_names_and_drops_emptied_entries_with_their_commas()
    {
        var record = """
            { "resource_spans": [
                { "resource": {"attributes": []},
                  "instrumentationLibrarySpans": [
                    {"instrumentationLibrary": {"name": "a"}, "spans": [ {"spanId":"01","endTimeUnixNano":"99"} ]},
                    {"instrumentationLibrary": {"name": "b"}, "spans": [ {"spanId":"02", "endTimeUnixNano": 5} ,
                        {"spanId":"03","endTimeUnixNano":"99"},  { "spanId" : "04" ,"endTimeUnixNano":"6"} ]},
                    {"spans": null}, {"spans": []}
                  ],
                  "scope_spans": [ {"spans":[{"spanId":"05","endTimeUnixNano":"99"}]} ],
                  "schemaUrl": "s" },
                { "scopeSpans": [ {"spans":[{"spanId":"06","endTimeUnixNano":"99"}]} ] }
              ],
              "extra": [1, 2] }

            """u8.ToArray();

        var run = FilterRun.Run(RecordFilterInputs.Json, record, span => span.End <= 10);

        var expected = """
            { "resource_spans": [{ "resource": {"attributes": []},
                  "instrumentationLibrarySpans": [{"instrumentationLibrary": {"name": "b"}, "spans": [{"spanId":"02", "endTimeUnixNano": 5},{ "spanId" : "04" ,"endTimeUnixNano":"6"}]},{"spans": null},{"spans": []}],
                  "scope_spans": [],
                  "schemaUrl": "s" }],
              "extra": [1, 2] }

            """;
        Assert.Equal(expected, System.Text.Encoding.UTF8.GetString(run.Output));
        Assert.Equal(new(2, 4), run.Result);
        Assert.Equal(run.Kept, FilterRun.Parse(ReadJson, run.Output));
    }

    public static TheoryData<string> Formats => new() { "protobuf", "json" };

    private static (RecordFilter Filter, RecordParser Parser, byte[] Record) Sample(string format) => format == "protobuf"
        ? (Protobuf, ReadProtobuf, new RandomTracesData(11).Build())
        : (RecordFilterInputs.Json, ReadJson, ToJson(RecordFilterInputs.Random(11), indented: true));

    private static void AssertMalformed(RecordFilter filter, byte[] record)
    {
        var kept = new RecordingSink();
        var output = new System.Buffers.ArrayBufferWriter<byte>();

        Assert.Throws<MalformedInputException>(() => filter(record, 0, (in SpanView _) => true, output, kept));

        Assert.Equal(0, output.WrittenCount);
        Assert.Empty(kept.Events);
    }

    private static void AssertFiltersByEndTime(RecordFilter filter, RecordParser parser, byte[] record, int seed)
    {
        var input = FilterRun.Parse(parser, record);
        var threshold = Threshold(seed, input);
        var expected = input.Where(s => s.End <= threshold).ToList();

        var run = FilterRun.Run(filter, record, span => span.End <= threshold);

        Assert.Equal(input, run.Asked);
        Assert.Equal(expected, run.Kept);
        Assert.Equal(new(expected.Count, input.Count - expected.Count), run.Result);
        if (run.Result.Dropped == 0)
            Assert.Equal(record, run.Output);
        if (run.Result.LostAllSpans)
        {
            Assert.Empty(run.Output);
            return;
        }

        Assert.Equal(expected, FilterRun.Parse(parser, run.Output));
        if (filter == Protobuf)
            Assert.Equal(KeptContexts(ProtobufContexts(record), input, threshold), ProtobufContexts(run.Output));
        else
            Assert.Equal(KeptContexts(JsonContexts(record), input, threshold), JsonContexts(run.Output));
    }

    private static List<T> KeptContexts<T>(List<T> contexts, List<SeenSpan> spans, ulong threshold)
    {
        Assert.Equal(spans.Count, contexts.Count);
        return [.. contexts.Where((_, i) => spans[i].End <= threshold)];
    }
}
