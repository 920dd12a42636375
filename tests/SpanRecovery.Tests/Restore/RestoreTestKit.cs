using Google.Protobuf;
using OpenTelemetry.Proto.Trace.V1;
using SpanRecovery.Otlp;
using SpanRecovery.Tests.CliProcess;
using SpanRecovery.Tests.OtlpReading;

namespace SpanRecovery.Tests.Restore;

/// <summary>A clock a test sets: backups are created exactly when the scenario says.</summary>
internal sealed class ManualClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}

/// <summary>A span as restore tests compare them: identity and end time.</summary>
internal readonly record struct SpanKey(string TraceId, string SpanId, ulong End) : IComparable<SpanKey>
{
    public int CompareTo(SpanKey other) => (TraceId, SpanId, End).CompareTo((other.TraceId, other.SpanId, other.End));
}

internal static class RestoreTestKit
{
    public static ulong UnixNano(DateTimeOffset time) => (ulong)(time - DateTimeOffset.UnixEpoch).Ticks * 100;

    /// <summary>One length-prefixed record whose spans (unique IDs from <paramref name="seed"/>) end at the given times.</summary>
    public static byte[] TimedRecord(int seed, params ulong[] ends)
    {
        var scope = new ScopeSpans();
        for (var i = 0; i < ends.Length; i++)
        {
            var span = TestInputs.ValidSpan(seed, i);
            span.StartTimeUnixNano = ends[i] - 1_000_000;
            span.EndTimeUnixNano = ends[i];
            scope.Spans.Add(span);
        }

        var data = new TracesData();
        data.ResourceSpans.Add(new ResourceSpans { ScopeSpans = { scope } });
        return TestInputs.LengthPrefixed(data.ToByteArray());
    }

    /// <summary>Runs <c>repo init</c> and a first <c>backup</c> of <paramref name="source"/> as processes; returns the backup's name.</summary>
    public static async Task<string> InitAndBackUpAsync(string repo, string source)
    {
        (await Spanrecovery.RunAsync("repo", "init", repo)).AssertClean(0);
        var backup = await Spanrecovery.RunAsync("backup", "--repo", repo, "--source", source, "--json");
        backup.AssertClean(0);
        using var json = System.Text.Json.JsonDocument.Parse(backup.StdOut);
        return json.RootElement.GetProperty("name").GetString()!;
    }

    /// <summary>Every span in the files of a directory, as our reader sees them.</summary>
    public static async Task<List<SpanKey>> SpansIn(string directory)
    {
        var sink = new KeySink();
        foreach (var file in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            await TraceFileReader.ReadFileAsync(file, sink, new ReaderOptions());
        Assert.Empty(sink.Problems);
        return sink.Spans;
    }

    private sealed class KeySink : ISpanSink
    {
        public List<SpanKey> Spans { get; } = [];

        public List<InputProblem> Problems { get; } = [];

        public void OnSpan(in SpanView span) =>
            Spans.Add(new SpanKey(Convert.ToHexString(span.TraceId), Convert.ToHexString(span.SpanId), span.EndTimeUnixNano));

        public void OnInputProblem(InputProblem problem) => Problems.Add(problem);
    }
}
