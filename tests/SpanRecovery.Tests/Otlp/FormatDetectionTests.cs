using Google.Protobuf;
using OpenTelemetry.Proto.Trace.V1;
using SpanRecovery.Validation;

namespace SpanRecovery.Tests.OtlpReading;

/// <summary>
/// Detection from the bytes (docs/formats.md) for inputs that look like two formats at once. Protobuf's first tag
/// 0x0A is also '\n' in JSON; a first ResourceSpans of 123 bytes makes the next byte 0x7B, '{'.
/// </summary>
public class FormatDetectionTests
{
    /// <summary>A valid TracesData whose bytes start 0A 7B: "\n{" to a JSON sniffer.</summary>
    private static byte[] RecordStartingWithNewlineBrace(int seed)
    {
        var data = TestInputs.TracesData(1, seed);
        var span = data.ResourceSpans[0].ScopeSpans[0].Spans[0];
        while (data.ResourceSpans[0].CalculateSize() < 123)
            span.Name += "x";
        Assert.Equal(123, data.ResourceSpans[0].CalculateSize());
        data.ResourceSpans.Add(TestInputs.TracesData(2, seed + 100).ResourceSpans[0]);
        var bytes = data.ToByteArray();
        Assert.Equal(new byte[] { 0x0A, 0x7B }, bytes[..2]);
        Assert.Equal(3, TracesData.Parser.ParseFrom(bytes).ResourceSpans.Sum(r => r.ScopeSpans.Sum(s => s.Spans.Count)));
        return bytes;
    }

    [Fact]
    public async Task Raw_protobuf_whose_first_bytes_read_as_newline_brace_is_protobuf()
    {
        using var dir = new TempDirectory();
        var path = dir.WriteFile("raw.binpb", RecordStartingWithNewlineBrace(1));

        var report = await TestInputs.ValidateFileAsync(path);

        Assert.True(report.ExitCode == 0, ValidationReportWriter.ToText(report));
        Assert.Equal(3, report.Totals.Spans);
        Assert.Equal("raw", report.Inputs[0].Format);
    }

    [Fact]
    public async Task Length_prefixed_protobuf_whose_first_record_reads_as_newline_brace_is_protobuf()
    {
        using var dir = new TempDirectory();
        var path = dir.WriteFile("records.bin", TestInputs.LengthPrefixed(RecordStartingWithNewlineBrace(1), TestInputs.Record(2, 7)));

        var report = await TestInputs.ValidateFileAsync(path);

        Assert.True(report.ExitCode == 0, ValidationReportWriter.ToText(report));
        Assert.Equal(5, report.Totals.Spans);
    }

    [Fact]
    public async Task Zstd_record_whose_protobuf_reads_as_newline_brace_is_protobuf()
    {
        using var dir = new TempDirectory();
        var path = dir.WriteFile("records.bin", TestInputs.ZstdRecords(TestInputs.Record(2, 7), RecordStartingWithNewlineBrace(1)));

        var report = await TestInputs.ValidateFileAsync(path);

        Assert.True(report.ExitCode == 0, ValidationReportWriter.ToText(report));
        Assert.Equal(5, report.Totals.Spans);
    }

    [Fact]
    public async Task Json_file_starting_with_a_blank_line_and_a_bom_is_json()
    {
        using var dir = new TempDirectory();
        var path = dir.WriteFile("blank.jsonl", TestInputs.Concat([0xEF, 0xBB, 0xBF], "\n\n"u8.ToArray(), TestInputs.JsonLines(TestInputs.JsonDocument(1, 0))));

        var report = await TestInputs.ValidateFileAsync(path);

        Assert.True(report.ExitCode == 0, ValidationReportWriter.ToText(report));
        Assert.Equal(1, report.Totals.Spans);
        Assert.Equal("json", report.Inputs[0].Format);
    }

    [Theory]
    [InlineData("length-prefixed", "none")]
    [InlineData("zstd-record", "zstd-record")]
    [InlineData("zstd", "zstd")]
    [InlineData("gzip", "gzip")]
    public async Task Format_and_compression_are_detected_from_the_bytes_not_the_name(string kind, string compression)
    {
        using var dir = new TempDirectory();
        var records = TestInputs.LengthPrefixed(TestInputs.Record(2, 1), TestInputs.Record(3, 2));
        var bytes = kind switch
        {
            "zstd-record" => TestInputs.ZstdRecords(TestInputs.Record(2, 1), TestInputs.Record(3, 2)),
            "zstd" => TestInputs.Zstd(records),
            "gzip" => TestInputs.Gzip(records),
            _ => records,
        };
        var path = dir.WriteFile("misleading.json", bytes);

        var report = await TestInputs.ValidateFileAsync(path);

        Assert.Equal(0, report.ExitCode);
        Assert.Equal(5, report.Totals.Spans);
        Assert.Equal("length-prefixed", report.Inputs[0].Format);
        Assert.Equal(compression, report.Inputs[0].Compression);
    }
}
