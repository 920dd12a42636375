using System.Diagnostics;
using System.Text.Json.Nodes;
using SpanRecovery.Restore;

namespace SpanRecovery.Tests.Restore;

/// <summary>
/// The read-back clients for Tempo and Jaeger, which cannot run here, against a loopback server that answers as
/// their documented APIs do:
/// - Tempo, "Query" in the Tempo HTTP API docs (grafana.com/docs/tempo/latest/api_docs/): <c>GET /api/traces/&lt;traceid&gt;</c>
///   returns the trace as JSON, its ResourceSpans under <c>batches</c> with IDs in base64 (the docs' example has
///   <c>instrumentationLibrarySpans</c>; newer versions write <c>scopeSpans</c>); an unknown trace is a 404.
/// - Jaeger, "APIs" in the Jaeger docs (jaegertracing.io/docs/latest/architecture/apis/), api_v3 GetTrace:
///   <c>GET /api/v3/traces/{trace_id}</c> returns <c>{"result": TracesData}</c> in OTLP/JSON (hex IDs); an unknown
///   trace is a 404 with <c>{"error": {"httpCode": 404, "message": "trace not found"}}</c>.
/// </summary>
public sealed class ReadbackApiTests
{
    private const string TraceA = "5b8efff798038103d269b633813fc60c";
    private const string TraceB = "0af7651916cd43dd8448eb211c80319c";
    private const string SpanA1 = "eee19b7ec3c1b174";
    private const string SpanA2 = "b7ad6b7169203331";
    private const string SpanB1 = "00f067aa0ba902b7";

    private const string JaegerNotFound = """{"error":{"httpCode":404,"message":"trace not found"}}""";

    [Fact]
    public async Task Tempo_traces_are_asked_for_again_until_ingested_and_its_base64_ids_are_read()
    {
        await using var tempo = new QueryApiServer((path, asked) => path switch
        {
            _ when asked == 1 => (404, "trace not found"),
            $"/base/api/traces/{TraceA}" => (200, TempoTrace("instrumentationLibrarySpans", TraceA, SpanA1, SpanA2)),
            $"/base/api/traces/{TraceB}" => (200, TempoTrace("scopeSpans", TraceB, SpanB1)),
            _ => (404, "trace not found"),
        });

        var result = await ReadBackAsync(ReadbackKind.Tempo, tempo.Url, TimeSpan.FromSeconds(30));

        Assert.True(result.Verified, result.ToString());
        Assert.Equal((2, 2, 0), (result.Traces, result.Complete, result.Missing));
        Assert.Equal(2, tempo.Asked[$"/base/api/traces/{TraceA}"]);
        Assert.Equal(2, tempo.Asked[$"/base/api/traces/{TraceB}"]);
        Assert.All(tempo.Tenants, tenant => Assert.Equal("tenant-7", tenant));
    }

    [Fact]
    public async Task A_span_Jaeger_never_shows_is_named_missing_once_the_time_is_up()
    {
        await using var jaeger = new QueryApiServer((path, asked) => path switch
        {
            $"/base/api/v3/traces/{TraceA}" => (200, JaegerTrace(TraceA, SpanA1)),
            $"/base/api/v3/traces/{TraceB}" when asked > 1 => (200, JaegerTrace(TraceB, SpanB1)),
            _ => (404, JaegerNotFound),
        });
        var clock = Stopwatch.StartNew();

        var result = await ReadBackAsync(ReadbackKind.Jaeger, jaeger.Url, TimeSpan.FromSeconds(2));

        Assert.False(result.Verified);
        Assert.Null(result.Error);
        Assert.Equal((2, 1, 1), (result.Traces, result.Complete, result.Missing));
        Assert.Equal([$"{TraceA}/{SpanA2}"], result.MissingSpans);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(15));
        Assert.True(jaeger.Asked[$"/base/api/v3/traces/{TraceA}"] > 1);
    }

    [Fact]
    public async Task Jaeger_answers_in_several_result_chunks_are_all_read()
    {
        await using var jaeger = new QueryApiServer((path, _) => path == $"/base/api/v3/traces/{TraceA}"
            ? (200, JaegerTrace(TraceA, SpanA1) + "\n" + JaegerTrace(TraceA, SpanA2) + "\n")
            : (200, JaegerTrace(TraceB, SpanB1)));

        var result = await ReadBackAsync(ReadbackKind.Jaeger, jaeger.Url, TimeSpan.FromSeconds(10));

        Assert.True(result.Verified, result.ToString());
    }

    [Fact]
    public async Task A_busy_backend_is_asked_again_and_a_refusing_one_ends_the_read_back_at_once()
    {
        await using var busy = new QueryApiServer((path, asked) => asked == 1 ? (503, "") : (200, TempoTrace("scopeSpans", path.EndsWith(TraceA, StringComparison.Ordinal) ? TraceA : TraceB, SpanA1, SpanA2, SpanB1)));
        Assert.True((await ReadBackAsync(ReadbackKind.Tempo, busy.Url, TimeSpan.FromSeconds(30))).Verified);

        await using var refusing = new QueryApiServer((_, _) => (401, """{"error":"unauthorized"}"""));
        var clock = Stopwatch.StartNew();
        var refused = await ReadBackAsync(ReadbackKind.Jaeger, refusing.Url, TimeSpan.FromSeconds(60));
        Assert.False(refused.Verified);
        Assert.Contains("401", refused.Error, StringComparison.Ordinal);
        Assert.Equal(3, refused.Missing);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), clock.Elapsed.ToString());
    }

    [Fact]
    public async Task An_answer_that_is_not_json_is_an_error()
    {
        await using var broken = new QueryApiServer((_, _) => (200, "<html>login</html>"));

        var result = await ReadBackAsync(ReadbackKind.Tempo, broken.Url, TimeSpan.FromSeconds(60));

        Assert.False(result.Verified);
        Assert.Contains("not the JSON this API returns", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_sample_is_the_same_traces_whatever_order_they_come_in()
    {
        var traces = Enumerable.Range(0, 200).Select(i => (Trace: Id(16, i), Spans: new[] { Id(8, 1000 + i), Id(8, 2000 + i) })).ToList();

        var forward = Sample(traces, 10);
        var backward = Sample(Enumerable.Reverse(traces), 10);
        var whole = Sample(traces, null);

        Assert.Equal(10, forward.Traces.Count);
        Assert.Equal(forward.Traces.Keys.Order(), backward.Traces.Keys.Order());
        Assert.All(forward.Traces.Values, spans => Assert.Equal(2, spans.Count));
        Assert.Equal(200, whole.Traces.Count);
        Assert.Subset(whole.Traces.Keys.ToHashSet(), forward.Traces.Keys.ToHashSet());
    }

    private static SentSpans Sample(IEnumerable<(byte[] Trace, byte[][] Spans)> traces, int? size)
    {
        var sent = new SentSpans(size);
        // Spans of one trace arrive apart, as they do across records.
        foreach (var round in new[] { 0, 1 })
        {
            foreach (var (trace, spans) in traces)
                sent.Add(trace, spans[round]);
        }

        return sent;
    }

    private static byte[] Id(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static Task<ReadbackResult> ReadBackAsync(ReadbackKind kind, Uri url, TimeSpan timeout)
    {
        var sent = new SentSpans(null);
        foreach (var (trace, span) in new[] { (TraceA, SpanA1), (TraceA, SpanA2), (TraceB, SpanB1) })
            sent.Add(Convert.FromHexString(trace), Convert.FromHexString(span));
        return TraceReadback.RunAsync(new ReadbackOptions(kind, url, Timeout: timeout), sent, [new RequestHeader("X-Scope-OrgID", "tenant-7")], log: null, CancellationToken.None);
    }

    /// <summary>Tempo's JSON: ResourceSpans under "batches", IDs in base64, enums as names.</summary>
    private static string TempoTrace(string scopesName, string traceId, params string[] spanIds)
    {
        var scopeName = scopesName == "scopeSpans" ? "scope" : "instrumentationLibrary";
        var spans = spanIds.Select(span => Span(Base64(traceId), Base64(span), "SPAN_KIND_SERVER"));
        return new JsonObject { ["batches"] = new JsonArray(ResourceSpans(scopesName, scopeName, spans)) }.ToJsonString();
    }

    /// <summary>Jaeger's api_v3 JSON: a TracesData in OTLP/JSON (hex IDs, enums as numbers) under "result".</summary>
    private static string JaegerTrace(string traceId, params string[] spanIds)
    {
        var spans = spanIds.Select(span => Span(traceId, span, 2));
        var traces = new JsonObject { ["resourceSpans"] = new JsonArray(ResourceSpans("scopeSpans", "scope", spans)) };
        return new JsonObject { ["result"] = traces }.ToJsonString();
    }

    private static JsonObject ResourceSpans(string scopesName, string scopeName, IEnumerable<JsonObject> spans) => new()
    {
        ["resource"] = new JsonObject
        {
            ["attributes"] = new JsonArray(new JsonObject { ["key"] = "service.name", ["value"] = new JsonObject { ["stringValue"] = "checkout" } }),
        },
        [scopesName] = new JsonArray(new JsonObject
        {
            [scopeName] = new JsonObject { ["name"] = "incident" },
            ["spans"] = new JsonArray([.. spans]),
        }),
    };

    private static JsonObject Span(string traceId, string spanId, JsonNode kind) => new()
    {
        ["traceId"] = traceId,
        ["spanId"] = spanId,
        ["name"] = "GET /orders",
        ["kind"] = kind,
        ["startTimeUnixNano"] = "1627590926213138000",
        ["endTimeUnixNano"] = "1627590926213279000",
        ["status"] = new JsonObject(),
    };

    private static string Base64(string hex) => Convert.ToBase64String(Convert.FromHexString(hex));
}
