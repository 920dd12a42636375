using System.Text.Json;
using SpanRecovery.Tests.OtlpReading;

namespace SpanRecovery.Tests.CliProcess;

/// <summary><c>spanrecovery validate</c> run as a process: exit codes, stderr lines and the JSON report (docs/rules.md, docs/report-json.md, docs/commands.md).</summary>
public class ValidateCommandTests
{
    private const string StackTraceMarker = "   at ";

    private static void AssertNoStackTrace(CliResult result)
    {
        Assert.DoesNotContain(StackTraceMarker, result.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain(StackTraceMarker, result.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", result.StdErr, StringComparison.Ordinal);
    }

    private static string CleanFile(TempDirectory dir) =>
        dir.WriteFile("clean.bin", TestInputs.LengthPrefixed(TestInputs.Record(3, 1), TestInputs.Record(2, 2)));

    [Fact]
    public async Task Malformed_file_exits_2_with_one_stderr_line_naming_file_and_offset()
    {
        using var dir = new TempDirectory();
        var first = TestInputs.Record(2, 1);
        var bad = new Wire().VarintField(1, 5).ToArray(); // resource_spans as a varint: wrong wire type
        var path = dir.WriteFile("bad.bin", TestInputs.LengthPrefixed(first, bad, TestInputs.Record(1, 2)));
        var offset = 4 + first.Length;

        var result = await Spanrecovery.RunAsync("validate", path);

        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.StdErrLines);
        Assert.Contains(path, line, StringComparison.Ordinal);
        Assert.Contains($"offset {offset}", line, StringComparison.Ordinal);
        Assert.Contains("message-malformed", line, StringComparison.Ordinal);
        AssertNoStackTrace(result);
    }

    [Fact]
    public async Task Truncated_file_exits_2_naming_file_and_offset()
    {
        using var dir = new TempDirectory();
        var first = TestInputs.Record(2, 1);
        var path = dir.WriteFile("cut.bin", TestInputs.Concat(TestInputs.LengthPrefixed(first), TestInputs.LengthPrefixed(TestInputs.Record(3, 2))[..20]));

        var result = await Spanrecovery.RunAsync("validate", path);

        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.StdErrLines);
        Assert.Contains(path, line, StringComparison.Ordinal);
        Assert.Contains($"offset {4 + first.Length}", line, StringComparison.Ordinal);
        AssertNoStackTrace(result);
    }

    [Fact]
    public async Task Json_format_is_a_parseable_version_1_report_with_the_counts()
    {
        using var dir = new TempDirectory();
        var trace = Convert.ToHexStringLower(TestInputs.Id(16, 1, 0));
        var path = dir.WriteFile("spans.jsonl", TestInputs.JsonLines(
            TestInputs.JsonDocument(trace, "00000000000000a1"),
            TestInputs.JsonDocument(trace, "00000000000000a2", parentSpanId: "00000000000000a1"),
            TestInputs.JsonDocument(trace, "00000000000000a3", parentSpanId: "00000000000000ff"),
            TestInputs.JsonDocument(trace, "00000000000000a4", parentSpanId: "00000000000000a1", start: TestInputs.BaseTime + 10, end: TestInputs.BaseTime)));

        var result = await Spanrecovery.RunAsync("validate", "--format", "json", path);

        Assert.True(result.ExitCode == 1, result.ToString());
        using var json = JsonDocument.Parse(result.StdOut);
        var root = json.RootElement;
        Assert.Equal(1, root.GetProperty("reportVersion").GetInt32());
        Assert.Equal("spanrecovery", root.GetProperty("tool").GetString());
        var input = Assert.Single(root.GetProperty("inputs").EnumerateArray());
        Assert.Equal(path, input.GetProperty("path").GetString());
        Assert.Equal("json", input.GetProperty("format").GetString());
        Assert.Equal(4, input.GetProperty("spans").GetInt64());
        var totals = root.GetProperty("totals");
        Assert.Equal(4, totals.GetProperty("spans").GetInt64());
        Assert.Equal(1, totals.GetProperty("traces").GetInt64());
        Assert.Equal(3, totals.GetProperty("validSpans").GetInt64());
        Assert.Equal(1, totals.GetProperty("invalidSpans").GetInt64());
        Assert.Equal(1, totals.GetProperty("errors").GetInt64());
        Assert.Equal(1, totals.GetProperty("warnings").GetInt64());
        var rules = root.GetProperty("rules");
        Assert.Equal(1, rules.GetProperty("end-before-start").GetProperty("count").GetInt64());
        Assert.Equal("error", rules.GetProperty("end-before-start").GetProperty("severity").GetString());
        Assert.Equal(1, rules.GetProperty("parent-not-found").GetProperty("count").GetInt64());
        Assert.Equal("warning", rules.GetProperty("parent-not-found").GetProperty("severity").GetString());
        Assert.Equal(2, rules.EnumerateObject().Count());
        var example = root.GetProperty("examples").EnumerateArray().Single(e => e.GetProperty("rule").GetString() == "end-before-start");
        Assert.Equal("00000000000000a4", example.GetProperty("spanId").GetString());
        Assert.Equal(trace, example.GetProperty("traceId").GetString());
        Assert.True(root.GetProperty("elapsedSeconds").GetDouble() >= 0);
        Assert.True(root.GetProperty("throughput").TryGetProperty("spansPerSecond", out _));
        Assert.True(root.GetProperty("throughput").TryGetProperty("bytesPerSecond", out _));
        Assert.Equal("", result.StdErr.Trim());
    }

    [Fact]
    public async Task Json_format_of_a_malformed_file_is_still_parseable_json_on_stdout()
    {
        using var dir = new TempDirectory();
        var first = TestInputs.Record(2, 1);
        var path = dir.WriteFile("cut.bin", TestInputs.Concat(TestInputs.LengthPrefixed(first), [0, 0]));

        var result = await Spanrecovery.RunAsync("validate", "--format", "json", path);

        Assert.True(result.ExitCode == 2, result.ToString());
        using var json = JsonDocument.Parse(result.StdOut);
        Assert.Equal(1, json.RootElement.GetProperty("rules").GetProperty("frame-truncated").GetProperty("count").GetInt64());
        Assert.Equal(2, json.RootElement.GetProperty("totals").GetProperty("spans").GetInt64());
        var example = Assert.Single(json.RootElement.GetProperty("examples").EnumerateArray());
        Assert.Equal(4 + first.Length, example.GetProperty("offset").GetInt64());
    }

    [Fact]
    public async Task Missing_file_exits_2_naming_it()
    {
        using var dir = new TempDirectory();
        var path = dir.File("nope.bin");

        var result = await Spanrecovery.RunAsync("validate", path);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(path, result.StdErr, StringComparison.Ordinal);
        AssertNoStackTrace(result);
    }

    [Fact]
    public async Task Unknown_format_exits_2_naming_the_file()
    {
        using var dir = new TempDirectory();
        var path = dir.WriteFile("notes.txt", "just some text, not traces\n"u8.ToArray());

        var result = await Spanrecovery.RunAsync("validate", path);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(path, Assert.Single(result.StdErrLines), StringComparison.Ordinal);
        AssertNoStackTrace(result);
    }

    [Theory]
    [InlineData("--no-such-option")]
    [InlineData("--format", "xml")]
    [InlineData("--max-duration", "soon")]
    [InlineData("--max-record-bytes", "0")]
    [InlineData("--max-examples", "many")]
    [InlineData("--input-format", "csv")]
    public async Task Bad_option_exits_2_without_a_stack_trace(params string[] option)
    {
        using var dir = new TempDirectory();
        var path = CleanFile(dir);

        var result = await Spanrecovery.RunAsync(["validate", .. option, path]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.NotEqual("", result.StdErr.Trim());
        AssertNoStackTrace(result);
    }

    [Fact]
    public async Task An_unknown_option_is_named_as_one_not_as_a_missing_file()
    {
        using var dir = new TempDirectory();

        var result = await Spanrecovery.RunAsync("validate", "--bogus", CleanFile(dir));

        result.AssertClean(2);
        Assert.Contains("unknown option --bogus", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_path_exits_2()
    {
        var result = await Spanrecovery.RunAsync("validate");

        Assert.True(result.ExitCode == 2, result.ToString());
        AssertNoStackTrace(result);
    }

    [Fact]
    public async Task Unknown_command_exits_2()
    {
        var result = await Spanrecovery.RunAsync("validat", "x");

        Assert.True(result.ExitCode == 2, result.ToString());
        AssertNoStackTrace(result);
    }

    [Fact]
    public async Task Clean_file_exits_0_with_nothing_on_stderr()
    {
        using var dir = new TempDirectory();
        var path = CleanFile(dir);

        var result = await Spanrecovery.RunAsync("validate", path);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("", result.StdErr.Trim());
        Assert.Contains("5", result.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Empty_file_and_directory_exit_0()
    {
        using var dir = new TempDirectory();
        CleanFile(dir);
        dir.WriteFile(Path.Combine("sub", "empty.bin"), []);

        var result = await Spanrecovery.RunAsync("validate", "--format", "json", dir.Path);

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.StdOut);
        Assert.Equal(2, json.RootElement.GetProperty("inputs").GetArrayLength());
        Assert.Equal(5, json.RootElement.GetProperty("totals").GetProperty("spans").GetInt64());
    }

    [Fact]
    public async Task File_with_span_errors_exits_1()
    {
        using var dir = new TempDirectory();
        var zeroTrace = new string('0', 32);
        var path = dir.WriteFile("errors.jsonl", TestInputs.JsonLines(TestInputs.JsonDocument(1, 0), TestInputs.JsonDocument(zeroTrace, "00000000000000a1")));

        var result = await Spanrecovery.RunAsync("validate", path);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("trace-id-zero", result.StdOut, StringComparison.Ordinal);
        Assert.Equal("", result.StdErr.Trim());
    }

    [Fact]
    public async Task File_with_only_warnings_exits_0()
    {
        using var dir = new TempDirectory();
        var trace = Convert.ToHexStringLower(TestInputs.Id(16, 1, 0));
        var path = dir.WriteFile("orphan.jsonl", TestInputs.JsonLines(TestInputs.JsonDocument(trace, "00000000000000a2", parentSpanId: "00000000000000a1")));

        var result = await Spanrecovery.RunAsync("validate", path);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("parent-not-found", result.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Max_record_bytes_option_is_applied()
    {
        using var dir = new TempDirectory();
        var path = dir.WriteFile("big.bin", TestInputs.LengthPrefixed(TestInputs.Record(1, 1), TestInputs.Record(60, 2), TestInputs.Record(1, 3)));

        var result = await Spanrecovery.RunAsync("validate", "--max-record-bytes", "1000", "--format", "json", path);

        Assert.True(result.ExitCode == 2, result.ToString());
        using var json = JsonDocument.Parse(result.StdOut);
        Assert.Equal(2, json.RootElement.GetProperty("totals").GetProperty("spans").GetInt64());
        Assert.Contains("--max-record-bytes", Assert.Single(result.StdErrLines), StringComparison.Ordinal);
    }
}
