using System.Text;
using System.Text.Json;
using SpanRecovery.Otlp;
using SpanRecovery.Tests.CliProcess;
using SpanRecovery.Tests.OtlpReading;
using SpanRecovery.Validation;
using static SpanRecovery.Tests.Validation.Make;

namespace SpanRecovery.Tests.Validation;

/// <summary>
/// The trace rules of docs/rules.md one at a time, each checked against the oracle too, then through the
/// readers (OTLP/JSON with numbers and enum names, protobuf) and the real CLI (--traces-out, --max-trace-spans).
/// </summary>
public class TraceRuleTests
{
    private const int Server = 2, Client = 3, Producer = 4, Consumer = 5;

    [Fact]
    public void A_zipkin_client_server_pair_is_a_shared_span_not_a_duplicate()
    {
        var report = Check(Ok(1) with { Kind = Client }, Ok(2, parent: 1) with { Kind = Server, Start = T0 + 10 }, Ok(2, parent: 1, hash: 8) with { Kind = Client });

        Assert.Equal(1, report.Count(Rule.SharedSpanId));
        Assert.Equal(0, report.Count(Rule.DuplicateSpan));
        Assert.Equal(0, report.Totals.InvalidSpans);
    }

    [Fact]
    public void The_same_ids_with_other_kinds_are_a_duplicate()
    {
        var report = Check(Ok(1), Ok(2, parent: 1) with { Kind = Server }, Ok(2, parent: 1, hash: 8) with { Kind = Consumer });

        Assert.Equal(0, report.Count(Rule.SharedSpanId));
        Assert.Equal(1, report.Count(Rule.DuplicateSpan));
    }

    [Fact]
    public void A_child_starting_before_its_parent_is_clock_skew_beyond_the_tolerance()
    {
        TestSpan[] spans = [Ok(1), Ok(2, parent: 1) with { Start = T0 - 1000 }];

        Assert.Equal(1, Check(spans).Count(Rule.ChildStartsBeforeParent));
        Assert.Equal(1, Check(new ValidationOptions { SkewTolerance = TimeSpan.FromTicks(9) }, spans).Count(Rule.ChildStartsBeforeParent));
        Assert.Equal(0, Check(new ValidationOptions { SkewTolerance = TimeSpan.FromTicks(10) }, spans).Count(Rule.ChildStartsBeforeParent));
    }

    [Fact]
    public void Ending_after_the_parent_is_fine_under_a_producer_or_for_a_consumer()
    {
        var late = Ok(2, parent: 1) with { End = T0 + (2 * Second) };

        Assert.Equal(1, Check(Ok(1), late).Count(Rule.ChildEndsAfterParent));
        Assert.Equal(0, Check(Ok(1) with { Kind = Producer }, late).Count(Rule.ChildEndsAfterParent));
        Assert.Equal(0, Check(Ok(1), late with { Kind = Consumer }).Count(Rule.ChildEndsAfterParent));
        Assert.Equal(1, Check(Ok(1) with { Kind = Consumer }, late with { Kind = Producer }).Count(Rule.ChildEndsAfterParent));
    }

    [Fact]
    public void A_cycle_leaves_its_trace_without_a_root_found_on_the_earliest_span()
    {
        var report = Check(Ok(1, parent: 2) with { Start = T0 + 5 }, Ok(2, parent: 1) with { Start = T0 + 3 }, Ok(3, trace: 2));

        Assert.Equal(1, report.Count(Rule.TraceNoRoot));
        var finding = Assert.Single(report.Examples, e => e.Rule == Rule.TraceNoRoot);
        Assert.Equal("0000000000000002", finding.SpanId);
    }

    [Fact]
    public void Every_root_after_the_first_is_one_finding_and_a_zero_parent_is_a_root()
    {
        var report = Check(Ok(1), Ok(2) with { ParentSpanId = new byte[8] }, Ok(3), Ok(4, parent: 9) with { ParentSpanId = [1, 2] });

        Assert.Equal(2, report.Count(Rule.TraceMultipleRoots));
        Assert.Equal(["0000000000000002", "0000000000000003"], report.Examples.Where(e => e.Rule == Rule.TraceMultipleRoots).Select(e => e.SpanId));
    }

    [Theory]
    [InlineData(4, 1)]
    [InlineData(5, 0)]
    public void Trace_too_large_counts_entered_spans(int max, int findings)
    {
        // Five entered spans; a duplicate and a span without a usable span_id are not entered.
        var spans = Enumerable.Range(1, 5).Select(i => Ok((ulong)i, parent: i == 1 ? 0 : 1UL)).Append(Ok(3, parent: 1)).Append(Ok(7) with { SpanId = [] });

        var report = Check(new ValidationOptions { MaxTraceSpans = max }, [.. spans]);

        Assert.Equal(findings, report.Count(Rule.TraceTooLarge));
    }

    [Fact]
    public void Links_and_events_are_checked_once_per_span()
    {
        var report = Check(
            Ok(1) with { Links = [new(Trace(5), Span(1)), new(new byte[16], Span(1)), new(Trace(5), [])] },
            Ok(2, parent: 1) with { Links = [new(Trace(5), Span(1))], EventTimes = [0, T0 + 10] },
            Ok(3, parent: 1) with { EventTimes = [T0 - 1, T0 + (2 * Second)] });

        Assert.Equal(1, report.Count(Rule.LinkInvalid));
        Assert.Equal(1, report.Count(Rule.EventOutsideSpan));
    }

    [Fact]
    public void Traces_out_lists_each_trace_with_findings_also_through_spans_without_a_usable_span_id()
    {
        using var lines = new MemoryStream();
        // Trace 1 has a late child; trace 2 is clean; trace 3 only has a span whose span_id is zero.
        var report = ValidatorHarness.Run(
            [Ok(1), Ok(2, parent: 1) with { End = T0 + (3 * Second) }, Ok(1, trace: 2), Ok(1, trace: 3) with { SpanId = new byte[8] }],
            new ValidationOptions { TracesOut = lines });

        var traces = Encoding.UTF8.GetString(lines.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement).ToDictionary(t => t.GetProperty("traceId").GetString()!);
        Assert.Equal(2, report.Totals.TracesWithFindings);
        Assert.Equal([Hex(Trace(1)), Hex(Trace(3))], traces.Keys.Order());
        Assert.Equal("""{"traceId":"00000000000000000000000000000001","spans":2,"roots":1,"errors":0,"warnings":1,"rules":{"child-ends-after-parent":1}}""",
            traces[Hex(Trace(1))].GetRawText());
        Assert.Equal("""{"traceId":"00000000000000000000000000000003","spans":0,"roots":0,"errors":1,"warnings":0,"rules":{"span-id-zero":1}}""",
            traces[Hex(Trace(3))].GetRawText());
    }

    [Fact]
    public void Json_kinds_by_number_and_name_events_and_links_are_read()
    {
        var json = $$"""
            {"resourceSpans":[{"scopeSpans":[{"spans":[
              {"traceId":"{{Hex(Trace(1))}}","spanId":"0000000000000001","kind":"SPAN_KIND_PRODUCER","startTimeUnixNano":"{{T0}}","endTimeUnixNano":"{{T0 + Second}}",
               "events":[{"timeUnixNano":"{{T0 + 5}}","name":"a"},{"time_unix_nano":{{T0 + 2}}},{"name":"untimed"}],
               "links":[{"traceId":"{{Hex(Trace(2))}}","spanId":"000000000000000z"}]},
              {"traceId":"{{Hex(Trace(1))}}","spanId":"0000000000000002","kind":5,"links":null,"events":[]}
            ]}]}]}
            """;
        var sink = new RecordingSink();

        JsonTracesParser.Parse(Encoding.UTF8.GetBytes(json), 0, sink);

        var spans = sink.Spans.ToList();
        Assert.Equal((Producer, T0 + 2, T0 + 5, true), (spans[0].Kind, spans[0].FirstEvent, spans[0].LastEvent, spans[0].MalformedLink));
        Assert.Equal((Consumer, 0UL, 0UL, false), (spans[1].Kind, spans[1].FirstEvent, spans[1].LastEvent, spans[1].MalformedLink));
    }

    [Fact]
    public void An_event_time_of_the_wrong_wire_type_is_a_malformed_record()
    {
        var badEvent = new Wire().VarintField(1, 5).ToArray(); // time_unix_nano must be fixed64
        var span = new Wire().BytesField(1, Trace(1)).BytesField(2, Span(1)).BytesField(11, badEvent).ToArray();
        var record = new Wire().BytesField(1, new Wire().BytesField(2, new Wire().BytesField(2, span).ToArray()).ToArray()).ToArray();

        Assert.Throws<MalformedInputException>(() => ProtobufTracesParser.Parse(record, 0, new RecordingSink()));
    }

    [Fact]
    public async Task Validate_writes_traces_out_and_counts_max_trace_spans()
    {
        using var dir = new TempDirectory();
        // One trace of three spans (a root and two children), and one of a single span.
        var big = TestInputs.TracesData(3, seed: 1);
        var spans = big.ResourceSpans[0].ScopeSpans[0].Spans;
        foreach (var span in spans)
            span.TraceId = spans[0].TraceId;
        spans[1].ParentSpanId = spans[2].ParentSpanId = spans[0].SpanId;
        var path = dir.WriteFile("traces.bin", TestInputs.LengthPrefixed(Google.Protobuf.MessageExtensions.ToByteArray(big), TestInputs.Record(1, 2)));
        var tracesOut = Path.Combine(dir.Path, "traces.jsonl");

        var result = await Spanrecovery.RunAsync("validate", path, "--format", "json", "--max-trace-spans", "2", "--traces-out", tracesOut);

        result.AssertClean(0);
        var report = JsonDocument.Parse(result.StdOut).RootElement;
        Assert.Equal(1, report.GetProperty("rules").GetProperty("trace-too-large").GetProperty("count").GetInt64());
        Assert.Equal(1, report.GetProperty("totals").GetProperty("tracesWithFindings").GetInt64());
        var line = JsonDocument.Parse(Assert.Single(await File.ReadAllLinesAsync(tracesOut))).RootElement;
        Assert.Equal(Hex(spans[0].TraceId.ToByteArray()), line.GetProperty("traceId").GetString());
        Assert.Equal((3, 1), (line.GetProperty("spans").GetInt32(), line.GetProperty("roots").GetInt32()));
        Assert.Equal(1, line.GetProperty("rules").GetProperty("trace-too-large").GetInt32());
    }

    [Fact]
    public async Task A_traces_out_file_that_cannot_be_created_is_a_usage_error()
    {
        using var dir = new TempDirectory();
        var path = dir.WriteFile("traces.bin", TestInputs.LengthPrefixed(TestInputs.Record(3, 1)));

        var result = await Spanrecovery.RunAsync("validate", path, "--traces-out", Path.Combine(dir.Path, "missing", "dir", "t.jsonl"));

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("--traces-out", result.StdErr, StringComparison.Ordinal);
    }

    private static string Hex(byte[] id) => Convert.ToHexStringLower(id);

    private static ValidationReport Check(params TestSpan[] spans) => Check(null, spans);

    /// <summary>Runs the product and the oracle; they must agree on every total and rule count.</summary>
    private static ValidationReport Check(ValidationOptions? options, params TestSpan[] spans)
    {
        var report = ValidatorHarness.Run(spans, options);
        Assert.Equal(ValidatorHarness.Summary(NaiveValidator.Validate(spans, options)), ValidatorHarness.Summary(report));
        return report;
    }
}
