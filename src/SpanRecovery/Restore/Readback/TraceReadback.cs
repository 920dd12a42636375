using System.Collections.Concurrent;
using System.Diagnostics;

namespace SpanRecovery.Restore;

/// <summary>
/// Reads the restored traces back from the backend's query API (docs/restore.md). Backends store what they receive
/// after a delay (ingestion, batching, flushes), so traces that are not complete yet are asked for again, with a
/// growing pause, until every one is complete or the time limit has passed. A transient answer (connection
/// trouble, 429, 5xx) only means "ask again"; an answer that can never get better (401, 403, 400, a body that is
/// not this API's JSON) ends the read-back with that error.
/// </summary>
internal static class TraceReadback
{
    private const int MissingListed = 10;
    private const int Parallel = 4;
    private static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan LongestPause = TimeSpan.FromSeconds(5);

    /// <summary>How long one query may take; less when the whole read-back has less time.</summary>
    private static readonly TimeSpan QueryTimeout = TimeSpan.FromSeconds(30);

    /// <param name="headers">
    /// The restore's headers, sent with every query too: a multi-tenant backend (Tempo, behind a gateway) finds a
    /// tenant's traces, and lets a caller in, by the same headers it took the spans with.
    /// </param>
    public static async Task<ReadbackResult> RunAsync(
        ReadbackOptions options, SentSpans sent, IReadOnlyList<RequestHeader> headers, TextWriter? log, CancellationToken cancellationToken)
    {
        var kind = options.Kind.ToString().ToLowerInvariant();
        var url = options.Url.AbsoluteUri;
        if (sent.Overflowed)
        {
            return new ReadbackResult(kind, url, 0, 0, 0, [], options.SampleTraces is not null,
                $"more than {SentSpans.MaxSpans:N0} spans to compare: read back a sample (--readback-sample N)");
        }

        // What is still missing, per trace; a trace leaves the map once all of it has been found.
        var missing = new ConcurrentDictionary<UInt128, HashSet<ulong>>(sent.Traces.Select(t => KeyValuePair.Create(t.Key, new HashSet<ulong>(t.Value))));
        var queryTimeout = options.EffectiveTimeout < QueryTimeout ? options.EffectiveTimeout + TimeSpan.FromSeconds(1) : QueryTimeout;
        using var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = queryTimeout };
        foreach (var header in headers)
            client.DefaultRequestHeaders.TryAddWithoutValidation(header.Name, header.Value);
        var query = new TraceQuery(client, options);
        var deadline = Stopwatch.StartNew();
        var pause = FirstPause;
        string? fatal = null, lastTransient = null;
        while (true)
        {
            await System.Threading.Tasks.Parallel.ForEachAsync(missing.Keys, new ParallelOptions { MaxDegreeOfParallelism = Parallel, CancellationToken = cancellationToken }, async (trace, token) =>
            {
                var answer = await query.GetAsync(trace, token);
                if (answer.Fatal is not null)
                {
                    Interlocked.CompareExchange(ref fatal, answer.Fatal, null);
                }
                else if (answer.Transient is not null)
                {
                    lastTransient = answer.Transient;
                }
                else if (missing.TryGetValue(trace, out var spans))
                {
                    spans.ExceptWith(answer.Spans!); // each trace is asked by one task per round
                    if (spans.Count == 0)
                        missing.TryRemove(trace, out _);
                }
            });

            var left = options.EffectiveTimeout - deadline.Elapsed;
            if (missing.IsEmpty || fatal is not null || left <= TimeSpan.Zero)
                break;
            log?.WriteLine($"read back: {missing.Count} of {sent.Traces.Count} traces not complete yet{(lastTransient is null ? "" : $" (last problem: {lastTransient})")}; asking again");
            lastTransient = null;
            await Task.Delay(pause < left ? pause : left, cancellationToken);
            pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, LongestPause.Ticks));
        }

        var missingSpans = missing.OrderBy(t => t.Key)
            .SelectMany(t => t.Value.Order().Select(span => $"{SentSpans.Hex(t.Key)}/{SentSpans.Hex(span)}"))
            .Take(MissingListed).ToList();
        return new ReadbackResult(kind, url, sent.Traces.Count, sent.Traces.Count - missing.Count, missing.Values.Sum(s => (long)s.Count),
            missingSpans, options.SampleTraces is not null, fatal ?? (missing.IsEmpty ? null : lastTransient));
    }
}
