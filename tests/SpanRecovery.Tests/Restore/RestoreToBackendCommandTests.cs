using System.Text.Json;
using Google.Protobuf;
using OpenTelemetry.Proto.Trace.V1;
using SpanRecovery.Tests.CliProcess;
using SpanRecovery.Tests.OtlpReading;

namespace SpanRecovery.Tests.Restore;

/// <summary>
/// <c>spanrecovery restore --target URL</c> as a process (docs/restore.md, docs/commands.md): headers on every
/// request and their values nowhere in stdout, stderr, the journal or the result; gzip bodies; the text lines
/// for what was sent, accepted and shifted; <c>--shift-time now</c> end to end.
/// </summary>
public sealed class RestoreToBackendCommandTests : IDisposable
{
    private const string Secret = "c2VjcmV0LXRva2VuLTQy";

    private readonly TempDirectory _dir = new();
    private readonly string _repo;
    private readonly List<TracesData> _data = [.. Enumerable.Range(1, 4).Select(seed => TestInputs.TracesData(40, seed))];

    public RestoreToBackendCommandTests()
    {
        _repo = _dir.File("repo");
        _dir.WriteFile("source/a.bin", TestInputs.LengthPrefixed([.. _data.Select(d => d.ToByteArray())]));
    }

    public void Dispose() => _dir.Dispose();

    private async Task<string> BackUpAsync()
    {
        (await Spanrecovery.RunAsync("repo", "init", _repo)).AssertClean(0);
        var backup = await Spanrecovery.RunAsync("backup", "--repo", _repo, "--source", _dir.File("source"), "--json");
        backup.AssertClean(0);
        using var json = JsonDocument.Parse(backup.StdOut);
        return json.RootElement.GetProperty("name").GetString()!;
    }

    [Fact]
    public async Task Header_values_reach_every_request_and_appear_nowhere_else()
    {
        var name = await BackUpAsync();
        // The receiver echoes the secret in a partial success and in an error body, as a careless gateway might.
        await using var receiver = new OtlpTestReceiver(n => n switch
        {
            1 => new ReceiverReply.Accept(2, $"spans of {Secret} dropped"),
            2 => new ReceiverReply.Status(400, Body: $"Authorization: Bearer {Secret} denied"),
            _ => ReceiverReply.Ok,
        });
        string[] Restore(params string[] extra) =>
            ["restore", "--repo", _repo, "--backup", name, "--target", receiver.Endpoint.ToString(), "--batch-bytes", "2048", "--concurrency", "1",
                "--header", $"Authorization: Bearer {Secret}", "--header", "X-Scope-OrgID: tenant-1", .. extra];

        var asJson = await Spanrecovery.RunAsync(Restore("--json"));
        var journals = Directory.GetFiles(Path.Combine(_repo, "restore-journals")).Select(File.ReadAllText).ToList();
        var asText = await Spanrecovery.RunAsync(Restore()); // resumes: skips what the first run delivered, reports its rejection

        asJson.AssertClean(1);
        asText.AssertClean(1);
        Assert.True(receiver.Received.Count > 4);
        Assert.All(receiver.Received, request =>
        {
            Assert.Equal($"Bearer {Secret}", request.Headers["Authorization"]);
            Assert.Equal("tenant-1", request.Headers["X-Scope-OrgID"]);
            Assert.Equal("gzip", request.Headers["Content-Encoding"]);
            OpenTelemetry.Proto.Collector.Trace.V1.ExportTraceServiceRequest.Parser.ParseFrom(OtlpTestReceiver.Gunzip(request.WireBody));
        });
        Assert.NotEmpty(journals);
        using var result = JsonDocument.Parse(asJson.StdOut);
        var delivery = result.RootElement.GetProperty("delivery");
        Assert.Equal(2, delivery.GetProperty("spansRejected").GetInt64());
        Assert.Contains("(hidden)", delivery.GetProperty("rejected")[0].GetProperty("errorMessage").GetString(), StringComparison.Ordinal);
        Assert.Contains("400", delivery.GetProperty("failures")[0].GetString(), StringComparison.Ordinal);
        foreach (var text in new[] { asJson.StdOut, asJson.StdErr, asText.StdOut, asText.StdErr }.Concat(journals))
            Assert.DoesNotContain(Secret, text, StringComparison.Ordinal);
        Assert.Contains("  sent      ", asText.StdOut, StringComparison.Ordinal);
        Assert.Contains("  accepted  ", asText.StdOut, StringComparison.Ordinal);
        Assert.Contains("  shift     none", asText.StdOut, StringComparison.Ordinal);
        Assert.Contains("acknowledged by an earlier run", asText.StdOut, StringComparison.Ordinal);
        Assert.Contains("2 rejected (partial success)", asText.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Shift_now_delivers_the_newest_span_ending_at_the_restore_start_with_durations_kept()
    {
        await BackUpAsync();
        await using var receiver = new OtlpTestReceiver();
        var started = RestoreTestKit.UnixNano(DateTimeOffset.UtcNow);

        var restore = await Spanrecovery.RunAsync("restore", "--repo", _repo, "--to-time", "2099-01-01T00:00:00Z", "--target", receiver.Endpoint.ToString(),
            "--shift-time", "now");

        restore.AssertClean(0);
        var finished = RestoreTestKit.UnixNano(DateTimeOffset.UtcNow);
        var sent = _data.SelectMany(d => d.ResourceSpans).SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans).ToDictionary(s => s.SpanId);
        var delivered = receiver.Delivered.SelectMany(d => d.Request.ResourceSpans).SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans).ToList();
        Assert.Equal(sent.Count, delivered.Count);
        var shift = delivered[0].StartTimeUnixNano - sent[delivered[0].SpanId].StartTimeUnixNano;
        Assert.All(delivered, span =>
        {
            Assert.Equal(sent[span.SpanId].StartTimeUnixNano + shift, span.StartTimeUnixNano);
            Assert.Equal(sent[span.SpanId].EndTimeUnixNano + shift, span.EndTimeUnixNano);
        });
        Assert.InRange(delivered.Max(s => s.EndTimeUnixNano), started, finished);
        Assert.Contains($"({(long)shift:+0} ns)", restore.StdOut, StringComparison.Ordinal);
        Assert.Contains($"  accepted  {sent.Count:N0} spans", restore.StdOut, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--shift-time", "5m")]
    [InlineData("--shift-time", "+yesterday")]
    [InlineData("--compression", "br")]
    [InlineData("--header", "Authorization Bearer " + Secret)]
    [InlineData("--header", "Content-Type: " + Secret)]
    public async Task Bad_values_are_usage_errors_that_never_echo_a_header(string option, string value)
    {
        var name = await BackUpAsync();

        var restore = await Spanrecovery.RunAsync("restore", "--repo", _repo, "--backup", name, "--target", "http://127.0.0.1:9", option, value);

        restore.AssertClean(2);
        Assert.Contains(option == "--compression" ? "'br'" : option, restore.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, restore.StdErr + restore.StdOut, StringComparison.Ordinal);
    }
}
