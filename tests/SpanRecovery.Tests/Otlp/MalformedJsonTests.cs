using System.Text;
using SpanRecovery.Validation;
using static SpanRecovery.Tests.OtlpReading.MalformedInputAssertions;

namespace SpanRecovery.Tests.OtlpReading;

/// <summary>Bad OTLP/JSON: a bad line costs that line only; ID encoding problems are span findings, not input errors.</summary>
public class MalformedJsonTests
{
    /// <summary>Bad lines, and where in the line the finding is: the start of the bad document.</summary>
    public static TheoryData<string, int> BadLines => new()
    {
        { "this is not json", 0 },
        { """{"resourceSpans": [ broken""", 0 },
        { """{"resourceSpans": 5}""", 0 },
        { """{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": 12}]}]}]}""", 0 },
        { """{"resourceSpans": [{"scopeSpans": [{"spans": [{"startTimeUnixNano": "-5"}]}]}]}""", 0 },
        { """{"resourceSpans": [{"scopeSpans": [{"spans": [{"startTimeUnixNano": 1.5e18}]}]}]}""", 0 },
        { """{"a": "unterminated""", 0 },
        { """[1, 2, 3]""", 0 },

        // Still open at the end of the line: the next (good) line tokenizes as part of it, so the error
        // shows only later; the finding must still point at this line, and the next line be read.
        { """{"x": [1, 2,""", 0 },

        // A complete (span-less) document, then a stray '}' at byte 8: the stray byte is the bad part.
        { """{"a": 1}}""", 8 },
    };

    [Theory]
    [MemberData(nameof(BadLines))]
    public async Task Invalid_json_line_between_two_good_lines_is_one_finding_and_both_good_lines_are_counted(string bad, int offsetInLine)
    {
        using var dir = new TempDirectory();
        var first = TestInputs.JsonDocument(1, 0);
        var path = dir.WriteFile("bad.jsonl", TestInputs.JsonLines(first, bad, TestInputs.JsonDocument(2, 0)));

        var report = await TestInputs.ValidateFileAsync(path);

        AssertInputFinding(report, Rule.MessageMalformed, spans: 2, offset: Encoding.UTF8.GetByteCount(first) + 1 + offsetInLine);
        AssertNoSpanFindings(report);
    }

    [Fact]
    public async Task Truncated_last_json_line_is_a_finding_after_the_good_lines()
    {
        using var dir = new TempDirectory();
        var first = TestInputs.JsonDocument(1, 0);
        var second = TestInputs.JsonDocument(2, 0);
        var cut = TestInputs.JsonDocument(3, 0)[..60];
        var bytes = Encoding.UTF8.GetBytes(first + "\n" + second + "\n" + cut);
        var path = dir.WriteFile("cut.jsonl", bytes);

        var report = await TestInputs.ValidateFileAsync(path);

        AssertInputFinding(report, Rule.MessageMalformed, spans: 2, offset: bytes.Length - 60);
    }

    [Fact]
    public async Task Truncated_pretty_document_after_a_good_one_is_a_finding()
    {
        using var dir = new TempDirectory();
        var sample = await File.ReadAllBytesAsync(TestPaths.Sample("otel-rust_traces.json"));
        var path = dir.WriteFile("cut.json", TestInputs.Concat(sample, "\n"u8.ToArray(), sample[..(sample.Length / 2)]));

        var report = await TestInputs.ValidateFileAsync(path);

        AssertInputFinding(report, Rule.MessageMalformed, spans: 2, offset: sample.Length + 1);
    }

    [Fact]
    public async Task Json_line_above_max_record_bytes_is_reported_and_the_next_line_is_read()
    {
        using var dir = new TempDirectory();
        var first = TestInputs.JsonDocument(1, 0);
        var big = TestInputs.JsonDocument("5b8efff798038103d269b633813fc60c", "eee19b7ec3c1b174", name: new string('x', 2000));
        var path = dir.WriteFile("big.jsonl", TestInputs.JsonLines(first, big, TestInputs.JsonDocument(2, 0)));

        var report = await TestInputs.ValidateFileAsync(path, maxRecordBytes: 1000);

        var finding = AssertInputFinding(report, Rule.MessageMalformed, spans: 2, offset: Encoding.UTF8.GetByteCount(first) + 1);
        Assert.Contains("1000-byte record limit", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_hex_id_is_id_invalid_encoding_not_an_input_error()
    {
        using var dir = new TempDirectory();
        var bad = TestInputs.JsonDocument("5b8efff798038103d269b633813fczzz", "eee19b7ec3c1b174");
        var path = dir.WriteFile("hex.jsonl", TestInputs.JsonLines(TestInputs.JsonDocument(1, 0), bad));

        var report = await TestInputs.ValidateFileAsync(path);

        Assert.False(report.HasInputErrors);
        Assert.Equal(1, report.ExitCode);
        Assert.Equal(2, report.Totals.Spans);
        Assert.Equal(1, report.Count(Rule.IdInvalidEncoding));
        Assert.Equal(1, report.Totals.InvalidSpans);
    }

    [Fact]
    public async Task Base64_ids_are_id_invalid_encoding_and_the_spans_are_still_counted()
    {
        using var dir = new TempDirectory();
        var traceId = Convert.ToBase64String(TestInputs.Id(16, 1, 0));
        var spanId = Convert.ToBase64String(TestInputs.Id(8, 1, 0));
        var parentId = Convert.ToBase64String(TestInputs.Id(8, 1, 1));
        var path = dir.WriteFile("b64.jsonl", TestInputs.JsonLines(
            TestInputs.JsonDocument(traceId, spanId, parentId),
            TestInputs.JsonDocument(Convert.ToBase64String(TestInputs.Id(16, 2, 0)), Convert.ToBase64String(TestInputs.Id(8, 2, 0)))));

        var report = await TestInputs.ValidateFileAsync(path);

        Assert.False(report.HasInputErrors);
        Assert.Equal(1, report.ExitCode);
        Assert.Equal(2, report.Totals.Spans);
        Assert.Equal(2, report.Totals.InvalidSpans);
        Assert.Equal(2, report.Count(Rule.IdInvalidEncoding));
        Assert.Equal(0, report.Totals.Traces);
    }
}
