using System.Text.Json;
using Google.Protobuf;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using SpanRecovery.Tests.CliProcess;
using SpanRecovery.Tests.OtlpReading;

namespace SpanRecovery.Tests.Restore;

/// <summary>
/// Traces as an incident leaves them in an archive, and a repository that backs them up: each a root span and children that start after it, at
/// minutes apart and ending before <c>newestEnd</c>, with IDs from the seed (tests that share a backend use
/// different seeds, so it never sees an ID twice).
/// </summary>
internal static class IncidentTraces
{
    public static TracesData Build(int traces, int spansPerTrace, DateTimeOffset newestEnd, int seed)
    {
        var random = new Random(seed);
        var scope = new ScopeSpans { Scope = new InstrumentationScope { Name = "incident", Version = "1.0" } };
        var newest = RestoreTestKit.UnixNano(newestEnd);
        for (var t = 0; t < traces; t++)
        {
            var traceId = Bytes(random, 16);
            var rootStart = newest - (ulong)(t + 1) * 60_000_000_000 - (ulong)random.Next(1_000_000);
            var root = new Span { TraceId = traceId, SpanId = Bytes(random, 8), Name = $"GET /orders/{t}", Kind = Span.Types.SpanKind.Server, StartTimeUnixNano = rootStart };
            scope.Spans.Add(root);
            ulong end = rootStart + 1_000;
            for (var s = 1; s < spansPerTrace; s++)
            {
                var start = rootStart + (ulong)s * 1_234_567 + (ulong)random.Next(1000);
                var child = new Span
                {
                    TraceId = traceId,
                    SpanId = Bytes(random, 8),
                    ParentSpanId = root.SpanId,
                    Name = $"query {s}",
                    Kind = Span.Types.SpanKind.Client,
                    StartTimeUnixNano = start,
                    EndTimeUnixNano = start + 987_654 + (ulong)random.Next(1000),
                };
                scope.Spans.Add(child);
                end = Math.Max(end, child.EndTimeUnixNano);
            }

            root.EndTimeUnixNano = end + 10_000;
        }

        var data = new TracesData();
        data.ResourceSpans.Add(new ResourceSpans
        {
            Resource = new Resource { Attributes = { new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = $"checkout-{seed}" } } } },
            ScopeSpans = { scope },
        });
        return data;
    }

    /// <summary>A repository in <paramref name="dir"/> with one full backup of a source holding <paramref name="file"/>.</summary>
    public static async Task<(string Repo, string Backup)> BackUpAsync(TempDirectory dir, byte[] file)
    {
        var repo = dir.File("repo");
        dir.WriteFile("source/traces.bin", file);
        (await Spanrecovery.RunAsync("repo", "init", repo)).AssertClean(0);
        var backup = await Spanrecovery.RunAsync("backup", "--repo", repo, "--source", dir.File("source"), "--json");
        backup.AssertClean(0);
        using var json = JsonDocument.Parse(backup.StdOut);
        return (repo, json.RootElement.GetProperty("name").GetString()!);
    }

    private static ByteString Bytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return ByteString.CopyFrom(bytes);
    }
}
