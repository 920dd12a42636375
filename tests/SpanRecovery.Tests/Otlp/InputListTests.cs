using SpanRecovery.Validation;

namespace SpanRecovery.Tests.OtlpReading;

/// <summary>What the paths given to validation resolve to: empty, missing, directories, unknown formats.</summary>
public class InputListTests
{
    [Fact]
    public async Task Empty_file_has_no_spans_no_finding_and_exit_0()
    {
        using var dir = new TempDirectory();
        var path = dir.WriteFile("empty.bin", []);

        var report = await TestInputs.ValidateFileAsync(path);

        Assert.Equal(0, report.ExitCode);
        Assert.Equal(0, report.Totals.Spans);
        Assert.Empty(report.RuleCounts);
        var input = Assert.Single(report.Inputs);
        Assert.Null(input.Error);
        Assert.Equal(0, input.Spans);
    }

    [Fact]
    public async Task Missing_path_is_exit_2_with_an_error_naming_the_path()
    {
        using var dir = new TempDirectory();
        var path = dir.File("does-not-exist.bin");

        var report = await TestInputs.ValidateFileAsync(path);

        Assert.Equal(2, report.ExitCode);
        var input = Assert.Single(report.Inputs);
        Assert.Equal(path, input.Path);
        Assert.NotNull(input.Error);
        Assert.Contains(path, ValidationReportWriter.ToText(report), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_path_does_not_stop_the_other_inputs()
    {
        using var dir = new TempDirectory();
        var good = dir.WriteFile("good.bin", TestInputs.LengthPrefixed(TestInputs.Record(3, 1)));

        var report = await ArchiveValidation.ValidateAsync([dir.File("missing.bin"), good]).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(2, report.ExitCode);
        Assert.Equal(3, report.Totals.Spans);
        Assert.Equal(2, report.Inputs.Count);
    }

    [Fact]
    public async Task Directory_argument_reads_every_file_recursively_in_name_order()
    {
        using var dir = new TempDirectory();
        dir.WriteFile("b.bin", TestInputs.LengthPrefixed(TestInputs.Record(1, 2)));
        dir.WriteFile("a.jsonl", TestInputs.JsonLines(TestInputs.JsonDocument(1, 0)));
        dir.WriteFile(Path.Combine("c", "z.bin"), TestInputs.LengthPrefixed(TestInputs.Record(2, 3)));
        dir.WriteFile(Path.Combine("c", "deeper", "y.zst"), TestInputs.Zstd(TestInputs.LengthPrefixed(TestInputs.Record(4, 4))));
        dir.WriteFile(Path.Combine("c", "m.bin"), []);

        var report = await ArchiveValidation.ValidateAsync([dir.Path]).WaitAsync(TimeSpan.FromSeconds(30));

        var expected = new[] { "a.jsonl", "b.bin", Path.Combine("c", "deeper", "y.zst"), Path.Combine("c", "m.bin"), Path.Combine("c", "z.bin") }
            .Select(dir.File);
        Assert.Equal(expected, report.Inputs.Select(i => i.Path));
        Assert.Equal(new long[] { 1, 1, 4, 0, 2 }, report.Inputs.Select(i => i.Spans));
        Assert.Equal(8, report.Totals.Spans);
        Assert.Equal(0, report.ExitCode);
    }

    [Fact]
    public async Task Several_paths_are_one_data_set_so_parents_resolve_across_files()
    {
        using var dir = new TempDirectory();
        var trace = Convert.ToHexStringLower(TestInputs.Id(16, 1, 0));
        var child = dir.WriteFile("1.jsonl", TestInputs.JsonLines(TestInputs.JsonDocument(trace, "00000000000000b2", parentSpanId: "00000000000000a1")));
        var parent = dir.WriteFile("2.jsonl", TestInputs.JsonLines(TestInputs.JsonDocument(trace, "00000000000000a1")));

        var report = await ArchiveValidation.ValidateAsync([child, parent]).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(0, report.Count(Rule.ParentNotFound));
        Assert.Equal(1, report.Totals.Traces);
    }

    [Theory]
    [InlineData("plain text", new byte[] { (byte)'h', (byte)'e', (byte)'l', (byte)'l', (byte)'o', (byte)' ', (byte)'w', (byte)'o', (byte)'r', (byte)'l', (byte)'d' })]
    [InlineData("high length", new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4, 5, 6 })]
    [InlineData("json array", new byte[] { (byte)'[', (byte)'1', (byte)']' })]
    public async Task Unknown_format_is_exit_2_with_an_input_error(string what, byte[] bytes)
    {
        using var dir = new TempDirectory();
        var path = dir.WriteFile("unknown.bin", bytes);

        var report = await TestInputs.ValidateFileAsync(path);

        Assert.Equal(2, report.ExitCode);
        Assert.Equal(0, report.Totals.Spans);
        Assert.NotNull(Assert.Single(report.Inputs).Error);
        Assert.False(string.IsNullOrEmpty(what));
    }

    [Fact]
    public async Task Gzip_of_an_unknown_format_is_exit_2()
    {
        using var dir = new TempDirectory();
        var path = dir.WriteFile("unknown.gz", TestInputs.Gzip("hello world, this is not a trace"u8.ToArray()));

        var report = await TestInputs.ValidateFileAsync(path);

        Assert.Equal(2, report.ExitCode);
        Assert.NotNull(Assert.Single(report.Inputs).Error);
    }

    [Fact]
    public async Task Compressed_empty_file_is_like_an_empty_file()
    {
        using var dir = new TempDirectory();
        var path = dir.WriteFile("empty.zst", TestInputs.Zstd([]));

        var report = await TestInputs.ValidateFileAsync(path);

        Assert.Equal(0, report.ExitCode);
        Assert.Equal(0, report.Totals.Spans);
    }
}
