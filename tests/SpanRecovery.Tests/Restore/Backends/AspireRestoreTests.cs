using System.Text.Json;
using Google.Protobuf;
using SpanRecovery.Tests.CliProcess;
using SpanRecovery.Tests.OtlpReading;

namespace SpanRecovery.Tests.Restore;

/// <summary>
/// <c>spanrecovery restore</c> into a real OTLP backend, the Aspire Dashboard, over OTLP/HTTP and OTLP/gRPC, with
/// <c>--verify-readback aspire=…</c> reading every restored span back through the dashboard's telemetry API.
/// </summary>
[Collection(AspireCollection.Name)]
public sealed class AspireRestoreTests(AspireDashboard dashboard) : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("http/protobuf", 101)]
    [InlineData("grpc", 102)]
    public async Task Every_restored_span_is_read_back_from_the_dashboard(string protocol, int seed)
    {
        var (repo, backup) = await BackUpAsync(IncidentTraces.Build(traces: 6, spansPerTrace: 4, DateTimeOffset.UtcNow.AddDays(-1), seed));
        var target = protocol == "grpc" ? dashboard.OtlpGrpc : dashboard.OtlpHttp;

        var restore = await Spanrecovery.RunAsync("restore", "--repo", repo, "--backup", backup, "--target", target.AbsoluteUri,
            "--protocol", protocol, "--verify-readback", $"aspire={dashboard.Api}", "--json");

        restore.AssertClean(0);
        ReportSchemaTests.AssertMatches("restore.schema.json", restore);
        using var json = JsonDocument.Parse(restore.StdOut);
        var result = json.RootElement;
        Assert.True(result.GetProperty("verified").GetBoolean());
        Assert.Equal(24, result.GetProperty("spans").GetInt64());
        Assert.Equal(24, result.GetProperty("delivery").GetProperty("spansSent").GetInt64());
        var readback = result.GetProperty("readback");
        Assert.Equal("aspire", readback.GetProperty("kind").GetString());
        Assert.Equal(6, readback.GetProperty("traces").GetInt64());
        Assert.Equal(6, readback.GetProperty("complete").GetInt64());
        Assert.Equal(0, readback.GetProperty("missing").GetInt64());
        Assert.Empty(readback.GetProperty("missingSpans").EnumerateArray());
        Assert.False(readback.GetProperty("sampled").GetBoolean());
    }

    [Fact]
    public async Task The_text_result_says_in_one_line_what_was_read_back()
    {
        var (repo, backup) = await BackUpAsync(IncidentTraces.Build(traces: 5, spansPerTrace: 3, DateTimeOffset.UtcNow.AddHours(-1), seed: 103));

        var restore = await Spanrecovery.RunAsync("restore", "--repo", repo, "--backup", backup, "--target", dashboard.OtlpGrpc.AbsoluteUri,
            "--protocol", "grpc", "--verify-readback", $"aspire={dashboard.Api}", "--readback-sample", "2");

        restore.AssertClean(0);
        var line = Assert.Single(restore.StdOut.Split('\n'), l => l.Contains("read back", StringComparison.Ordinal));
        Assert.Equal($"  read back 2 of 2 sampled traces complete from aspire {dashboard.Api}", line);
    }

    [Fact]
    public async Task Spans_the_dashboard_never_received_are_named_missing_and_the_restore_fails()
    {
        var data = IncidentTraces.Build(traces: 3, spansPerTrace: 2, DateTimeOffset.UtcNow.AddHours(-2), seed: 104);
        var (repo, backup) = await BackUpAsync(data);
        // The spans go to a receiver that acknowledges and keeps them to itself; the read-back asks the dashboard.
        await using var elsewhere = new OtlpTestReceiver();

        var restore = await Spanrecovery.RunAsync("restore", "--repo", repo, "--backup", backup, "--target", elsewhere.Endpoint.AbsoluteUri,
            "--verify-readback", $"aspire={dashboard.Api}", "--readback-timeout", "3s", "--json");

        Assert.Equal(1, restore.ExitCode);
        ReportSchemaTests.AssertMatches("restore.schema.json", restore);
        Assert.Equal(6, elsewhere.DeliveredSpans().Count);
        using var json = JsonDocument.Parse(restore.StdOut);
        var result = json.RootElement;
        Assert.False(result.GetProperty("verified").GetBoolean());
        var readback = result.GetProperty("readback");
        Assert.Equal(3, readback.GetProperty("traces").GetInt64());
        Assert.Equal(0, readback.GetProperty("complete").GetInt64());
        Assert.Equal(6, readback.GetProperty("missing").GetInt64());
        var sent = TestTraces.SpanIds([data]).Select(s => $"{s.TraceId}/{s.SpanId}").ToHashSet();
        var named = readback.GetProperty("missingSpans").EnumerateArray().Select(s => s.GetString()!).ToList();
        Assert.Equal(6, named.Count);
        Assert.Subset(sent, named.ToHashSet());
        Assert.Contains("6 spans of 3 traces were not found", restore.StdErr, StringComparison.Ordinal);
    }

    private Task<(string Repo, string Backup)> BackUpAsync(OpenTelemetry.Proto.Trace.V1.TracesData data) =>
        IncidentTraces.BackUpAsync(_dir, TestInputs.LengthPrefixed(data.ToByteArray()));
}
