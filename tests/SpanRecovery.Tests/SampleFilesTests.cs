using SpanRecovery.Validation;

namespace SpanRecovery.Tests;

/// <summary>Every public sample in tests/fixtures/samples reads with no input error and the right counts (SOURCES.md).</summary>
public class SampleFilesTests
{
    [Theory]
    [InlineData("otel-proto_trace.json", 1, 1)]
    [InlineData("otel-proto_trace.protobuf-bin", 1, 1)]
    [InlineData("otel-rust_traces.json", 2, 1)]
    [InlineData("duckdb-otlp_multifile_valid_traces.jsonl", 1, 1)]
    [InlineData("otlp2parquet_traces.pb", 19, 19)]
    [InlineData("otlp2parquet_traces.jsonl", 19, 0)]
    [InlineData("jaeger_memory_otel_traces_01.json", 4, 2)]
    [InlineData("ottl-playground_traces.json", 2, 1)]
    [InlineData("gcp-opsgo_traces_basic.json", 45, 15)]
    [InlineData("otel-desktop-viewer_span.json", 1, 1)]
    public async Task Sample_reads_without_input_errors_and_with_the_published_counts(string file, long spans, long traces)
    {
        var report = await ArchiveValidation.ValidateAsync([TestPaths.Sample(file)]);

        Assert.False(report.HasInputErrors, ValidationReportWriter.ToText(report));
        Assert.Equal(spans, report.Totals.Spans);
        Assert.Equal(traces, report.Totals.Traces);
    }

    [Fact]
    public async Task The_whole_folder_is_one_data_set()
    {
        var files = Directory.GetFiles(TestPaths.Samples).Where(f => !f.EndsWith(".md", StringComparison.Ordinal));

        var report = await ArchiveValidation.ValidateAsync(files);

        Assert.False(report.HasInputErrors);
        Assert.Equal(95, report.Totals.Spans);
        Assert.Equal(39, report.Totals.Traces);
        Assert.Equal(3, report.Count(Rule.DuplicateSpan)); // the opentelemetry-proto example span in four files
        Assert.Equal(1, report.Count(Rule.ParentIsSelf));
        Assert.Equal(19, report.Count(Rule.IdInvalidEncoding));
        Assert.Equal(1, report.Count(Rule.StartTimeMissing));
        Assert.Equal(1, report.Count(Rule.EndTimeMissing));
    }

    [Fact]
    public async Task Parents_in_other_documents_of_the_same_file_resolve()
    {
        var report = await ArchiveValidation.ValidateAsync([TestPaths.Sample("gcp-opsgo_traces_basic.json")]);

        Assert.Equal(0, report.Count(Rule.ParentNotFound));
        Assert.Equal(0, report.Totals.Errors);
    }
}
