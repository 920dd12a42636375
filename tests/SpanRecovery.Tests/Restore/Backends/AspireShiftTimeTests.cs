using System.Globalization;
using System.Text.Json;
using Google.Protobuf;
using SpanRecovery.Tests.CliProcess;
using SpanRecovery.Tests.OtlpReading;

namespace SpanRecovery.Tests.Restore;

/// <summary>
/// A point-in-time restore of day-old spans with <c>--shift-time now</c> into a real backend, the Aspire Dashboard,
/// over OTLP/HTTP and OTLP/gRPC: every span is read back through the dashboard's telemetry API, the newest ends
/// within 60 s of the restore, and every span keeps its duration and its offset from its trace's root. The
/// dashboard keeps times as .NET ticks, so what it returns is the restored time cut to 100 ns: durations and
/// offsets are compared to within that.
/// </summary>
[Collection(AspireCollection.Name)]
public sealed class AspireShiftTimeTests(AspireDashboard dashboard) : IDisposable
{
    private const long TickNanos = 100;

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("http/protobuf", 201)]
    [InlineData("grpc", 202)]
    public async Task Day_old_spans_shifted_to_now_are_all_found_with_their_timing_kept(string protocol, int seed)
    {
        var dayOld = IncidentTraces.Build(traces: 8, spansPerTrace: 5, DateTimeOffset.UtcNow.AddDays(-1), seed);
        var (repo, _) = await IncidentTraces.BackUpAsync(_dir, TestInputs.LengthPrefixed(dayOld.ToByteArray()));
        var target = protocol == "grpc" ? dashboard.OtlpGrpc : dashboard.OtlpHttp;
        var restoreStart = DateTimeOffset.UtcNow;

        var restore = await Spanrecovery.RunAsync("restore", "--repo", repo, "--to-time", restoreStart.ToString("o", CultureInfo.InvariantCulture),
            "--target", target.AbsoluteUri, "--protocol", protocol,
            "--shift-time", "now", "--verify-readback", $"aspire={dashboard.Api}", "--json");

        restore.AssertClean(0);
        using (var json = JsonDocument.Parse(restore.StdOut))
        {
            var readback = json.RootElement.GetProperty("readback");
            Assert.Equal((8, 8, 0), (readback.GetProperty("traces").GetInt64(), readback.GetProperty("complete").GetInt64(), readback.GetProperty("missing").GetInt64()));
        }

        var original = dayOld.ResourceSpans.SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans).ToList();
        var stored = new Dictionary<string, (long Start, long End)>();
        using var client = new HttpClient();
        foreach (var traceId in original.Select(s => Convert.ToHexStringLower(s.TraceId.Span)).Distinct())
        {
            foreach (var span in await StoredSpansAsync(client, traceId))
                stored[span.SpanId] = (span.Start, span.End);
        }

        Assert.Equal(original.Select(s => Convert.ToHexStringLower(s.SpanId.Span)).Order(), stored.Keys.Order());
        var newestEnd = DateTimeOffset.UnixEpoch.AddTicks(stored.Values.Max(s => s.End) / TickNanos);
        Assert.InRange(newestEnd, restoreStart.AddSeconds(-60), restoreStart.AddSeconds(60));
        var roots = original.Where(s => s.ParentSpanId.IsEmpty).ToDictionary(s => s.TraceId, s => s);
        foreach (var span in original)
        {
            var (start, end) = stored[Convert.ToHexStringLower(span.SpanId.Span)];
            var root = roots[span.TraceId];
            var rootStart = stored[Convert.ToHexStringLower(root.SpanId.Span)].Start;
            Assert.InRange(end - start - (long)(span.EndTimeUnixNano - span.StartTimeUnixNano), -TickNanos, TickNanos);
            Assert.InRange(start - rootStart - (long)(span.StartTimeUnixNano - root.StartTimeUnixNano), -TickNanos, TickNanos);
        }
    }

    /// <summary>The spans of a trace as the dashboard's telemetry API returns them (OTLP/JSON under <c>data</c>).</summary>
    private async Task<List<(string SpanId, long Start, long End)>> StoredSpansAsync(HttpClient client, string traceId)
    {
        using var json = JsonDocument.Parse(await client.GetStringAsync(new Uri(dashboard.Api, $"api/telemetry/traces/{traceId}")));
        return [.. json.RootElement.GetProperty("data").GetProperty("resourceSpans").EnumerateArray()
            .SelectMany(r => r.GetProperty("scopeSpans").EnumerateArray())
            .SelectMany(s => s.GetProperty("spans").EnumerateArray())
            .Select(s => (s.GetProperty("spanId").GetString()!,
                long.Parse(s.GetProperty("startTimeUnixNano").GetString()!, CultureInfo.InvariantCulture),
                long.Parse(s.GetProperty("endTimeUnixNano").GetString()!, CultureInfo.InvariantCulture)))];
    }
}
