using System.Diagnostics;
using Google.Protobuf;
using SpanRecovery.Restore;

namespace SpanRecovery.Tests.Restore;

/// <summary>Delivery over real HTTP: retries on transient trouble, no retry on bad data, partial success.</summary>
public sealed class OtlpHttpDeliveryTests
{
    private static readonly List<OpenTelemetry.Proto.Trace.V1.TracesData> Data =
        [.. Enumerable.Range(0, 8).Select(seed => TestTraces.Build(seed, resources: 2, scopes: 1, spans: 10))];

    private static IEnumerable<byte[]> Records => Data.Select(d => d.ToByteArray());

    [Fact]
    public async Task Every_span_arrives_despite_503_429_502_and_a_dropped_connection()
    {
        await using var receiver = new OtlpTestReceiver(n => n switch
        {
            1 => new ReceiverReply.Status(503, RetryAfter: "0"),
            2 => new ReceiverReply.Status(429),
            3 => new ReceiverReply.Drop(),
            4 => new ReceiverReply.Status(502),
            _ => ReceiverReply.Ok,
        });
        using var log = new StringWriter();

        var result = await TestTraces.RestoreAsync(receiver, Records, TestTraces.FastOptions(), log: log);

        Assert.True(result.Complete, string.Join("\n", result.Failures));
        var expected = TestTraces.SpanIds(Data);
        Assert.Equal(expected.Order(), receiver.DeliveredSpans().Distinct().Order());
        Assert.Equal(expected.Count, result.SpansSent);
        Assert.Equal(receiver.Delivered.Count, result.Batches);
        Assert.Equal(receiver.Delivered.Sum(d => d.Body.Length), result.BytesSent);
        Assert.Equal(result.Batches + 4, receiver.Requests);
        Assert.Contains("503 Service Unavailable, retrying in 0.0 s (Retry-After)", log.ToString(), StringComparison.Ordinal);
        Assert.Contains("429", log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Retry_After_is_honoured()
    {
        await using var receiver = new OtlpTestReceiver(n => n == 1 ? new ReceiverReply.Status(503, RetryAfter: "1") : ReceiverReply.Ok);
        var options = TestTraces.FastOptions(maxBatchBytes: 1 << 20, maxConcurrency: 1) with { MaxBackoff = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();

        var result = await TestTraces.RestoreAsync(receiver, Records, options);

        Assert.True(result.Complete);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(4));
        Assert.Equal(2, receiver.Requests);
    }

    [Fact]
    public async Task A_400_is_not_retried_and_the_other_batches_are_delivered()
    {
        await using var receiver = new OtlpTestReceiver(n => n == 2 ? new ReceiverReply.Status(400, Body: "bad span id") : ReceiverReply.Ok);

        var result = await TestTraces.RestoreAsync(receiver, Records, TestTraces.FastOptions(maxConcurrency: 1));

        var failure = Assert.Single(result.Failures);
        Assert.Contains("batch 1: 400 Bad Request, not retried: bad span id", failure, StringComparison.Ordinal);
        Assert.False(result.Complete);
        Assert.Equal(result.Batches + 1, receiver.Requests);
        Assert.Equal(receiver.DeliveredSpans().Count, result.SpansSent);
        Assert.True(result.SpansSent < TestTraces.SpanIds(Data).Count);
    }

    [Fact]
    public async Task Giving_up_after_MaxAttempts_is_a_failure_per_batch()
    {
        await using var receiver = new OtlpTestReceiver(_ => new ReceiverReply.Status(503));

        var result = await TestTraces.RestoreAsync(receiver, Records, TestTraces.FastOptions(maxBatchBytes: 1 << 20, maxAttempts: 3));

        Assert.Contains("gave up after 3 attempts", Assert.Single(result.Failures), StringComparison.Ordinal);
        Assert.Equal(3, receiver.Requests);
        Assert.Equal(0, result.SpansSent);
    }

    [Fact]
    public async Task A_request_without_a_response_in_time_is_retried()
    {
        await using var receiver = new OtlpTestReceiver(n => n == 1 ? new ReceiverReply.Delayed(TimeSpan.FromSeconds(2), ReceiverReply.Ok) : ReceiverReply.Ok);
        var options = TestTraces.FastOptions(maxBatchBytes: 1 << 20) with { RequestTimeout = TimeSpan.FromMilliseconds(300) };
        using var log = new StringWriter();

        var result = await TestTraces.RestoreAsync(receiver, Records, options, log: log);

        Assert.True(result.Complete);
        Assert.Equal(1, result.Batches);
        Assert.Contains("no response within 0.3 s", log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Partial_success_is_counted_and_logged()
    {
        await using var receiver = new OtlpTestReceiver(_ => new ReceiverReply.Accept(3, "span too old"));
        using var log = new StringWriter();

        var result = await TestTraces.RestoreAsync(receiver, Records, TestTraces.FastOptions(), log: log);

        Assert.True(result.Complete);
        Assert.Equal(3 * result.Batches, result.SpansRejected);
        Assert.Contains("span too old", log.ToString(), StringComparison.Ordinal);
    }
}
