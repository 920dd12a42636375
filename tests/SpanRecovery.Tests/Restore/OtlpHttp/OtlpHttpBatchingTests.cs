using Google.Protobuf;
using OpenTelemetry.Proto.Trace.V1;
using SpanRecovery.Otlp;
using SpanRecovery.Tests.OtlpReading;

namespace SpanRecovery.Tests.Restore;

/// <summary>Batches stay under the size limit and carry every span with its own resource and scope.</summary>
public sealed class OtlpHttpBatchingTests
{
    private const int Limit = 2048;

    [Fact]
    public async Task A_huge_ResourceSpans_is_split_under_the_limit_keeping_resource_and_scope()
    {
        var data = TestTraces.Build(seed: 7, resources: 2, scopes: 3, spans: 60);
        await using var receiver = new OtlpTestReceiver();

        var result = await TestTraces.RestoreAsync(receiver, [data.ToByteArray()], TestTraces.FastOptions(maxBatchBytes: Limit));

        Assert.True(result.Complete);
        Assert.All(receiver.BodySizes, size => Assert.InRange(size, 1, Limit));
        Assert.True(result.Batches > 10);
        Assert.Equal(Context(data).Order(), receiver.Delivered.SelectMany(d => Context(d.Request.ResourceSpans)).Order());
    }

    [Fact]
    public async Task A_span_larger_than_the_limit_travels_alone()
    {
        var data = TestTraces.Build(seed: 8, resources: 1, scopes: 1, spans: 20);
        var huge = TestTraces.Span(new Random(1), payloadBytes: 3 * Limit);
        data.ResourceSpans[0].ScopeSpans[0].Spans.Insert(10, huge);
        await using var receiver = new OtlpTestReceiver();

        var result = await TestTraces.RestoreAsync(receiver, [data.ToByteArray()], TestTraces.FastOptions(maxBatchBytes: Limit));

        Assert.True(result.Complete);
        var alone = Assert.Single(receiver.Delivered, d => d.Body.Length > Limit);
        Assert.Equal(huge, Assert.Single(alone.Request.ResourceSpans.SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans)));
        Assert.Equal(Context(data).Order(), receiver.Delivered.SelectMany(d => Context(d.Request.ResourceSpans)).Order());
    }

    [Fact]
    public async Task Old_instrumentation_library_spans_arrive_as_scope_spans()
    {
        var data = TestTraces.Build(seed: 9, resources: 1, scopes: 2, spans: 3);
        var resourceSpans = data.ResourceSpans[0];
        resourceSpans.InstrumentationLibrarySpans.Add(resourceSpans.ScopeSpans);
        resourceSpans.ScopeSpans.Clear();
        await using var receiver = new OtlpTestReceiver();

        var result = await TestTraces.RestoreAsync(receiver, [data.ToByteArray()], TestTraces.FastOptions());

        Assert.Equal(6, result.SpansSent);
        var received = Assert.Single(Assert.Single(receiver.Delivered).Request.ResourceSpans);
        Assert.Empty(received.InstrumentationLibrarySpans);
        Assert.Equal(resourceSpans.InstrumentationLibrarySpans, received.ScopeSpans);
    }

    [Fact]
    public async Task Random_wire_data_arrives_span_for_span_with_identical_span_bytes()
    {
        var records = Enumerable.Range(1, 40).Select(seed => new RandomTracesData(seed).Build()).ToList();
        await using var receiver = new OtlpTestReceiver();

        var result = await TestTraces.RestoreAsync(receiver, records, TestTraces.FastOptions(maxBatchBytes: 300));

        Assert.True(result.Complete);
        var expected = ParsedSpans(records);
        Assert.Equal(expected.Count, result.SpansSent);
        Assert.Equal(expected.Order(), ParsedSpans(receiver.Delivered.Select(d => d.Body)).Order());
    }

    [Fact]
    public void A_malformed_record_is_rejected_before_anything_is_queued()
    {
        using var target = new DisposingTarget();

        Assert.Throws<MalformedInputException>(() => target.Target.AddRecord([0x0A, 0x05, 0x12, 0x7F], RecordEncoding.Protobuf));
    }

    /// <summary>Each span with the resource attributes, resource schema, scope and scope schema around it.</summary>
    private static IEnumerable<string> Context(TracesData data) => Context(data.ResourceSpans);

    private static IEnumerable<string> Context(IEnumerable<ResourceSpans> resourceSpans) =>
        from r in resourceSpans
        from s in r.ScopeSpans
        from span in s.Spans
        select $"{r.Resource} {r.SchemaUrl} {s.Scope} {s.SchemaUrl} {span}";

    private static List<string> ParsedSpans(IEnumerable<byte[]> bodies)
    {
        var sink = new RecordingSink();
        foreach (var body in bodies)
            ProtobufTracesParser.Parse(body, 0, sink);
        return [.. sink.Spans.Select(s => $"{s.TraceId}/{s.SpanId}/{s.ContentHash}")];
    }

    /// <summary>A target on an unused endpoint, for tests that never send.</summary>
    private sealed class DisposingTarget : IDisposable
    {
        public SpanRecovery.Restore.BatchDelivery Target { get; } =
            new(new SpanRecovery.Restore.BatchSender(new Uri("http://127.0.0.1:9"), TestTraces.FastOptions(), null), TestTraces.FastOptions(), null);

        public void Dispose() => Target.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
