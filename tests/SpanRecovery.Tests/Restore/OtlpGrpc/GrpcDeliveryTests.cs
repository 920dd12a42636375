using System.Diagnostics;
using Google.Protobuf;
using SpanRecovery.Otlp;
using SpanRecovery.Restore;
using StatusCode = Grpc.Core.StatusCode;

namespace SpanRecovery.Tests.Restore;

/// <summary>
/// Delivery over OTLP/gRPC to a receiver the test scripts: what OTLP calls transient is retried (RESOURCE_EXHAUSTED
/// only with RetryInfo, whose delay is honoured), anything else fails the batch at once, partial success is
/// counted, headers travel as metadata on every call.
/// </summary>
public sealed class GrpcDeliveryTests
{
    private static readonly List<OpenTelemetry.Proto.Trace.V1.TracesData> Data =
        [.. Enumerable.Range(0, 6).Select(seed => TestTraces.Build(seed, resources: 2, scopes: 1, spans: 10))];

    [Fact]
    public async Task Every_span_arrives_despite_unavailable_and_deadlines_and_headers_go_with_every_call()
    {
        await using var receiver = await GrpcTestReceiver.StartAsync(n => n switch
        {
            1 => new GrpcReply.Fail(StatusCode.Unavailable),
            2 => new GrpcReply.Delayed(TimeSpan.FromSeconds(3), GrpcReply.Ok),
            3 => new GrpcReply.Fail(StatusCode.Aborted),
            _ => GrpcReply.Ok,
        });
        var options = TestTraces.FastOptions(maxConcurrency: 1) with
        {
            RequestTimeout = TimeSpan.FromSeconds(1),
            Headers = [new("X-Scope-OrgID", "tenant-7"), new("Authorization", "Bearer s3cret-token")],
        };
        using var log = new StringWriter();

        var result = await RestoreAsync(receiver, options, log);

        Assert.True(result.Complete, string.Join("\n", result.Failures));
        var expected = TestTraces.SpanIds(Data);
        Assert.Equal(expected.Order(), receiver.DeliveredSpans().Distinct().Order());
        Assert.Equal(expected.Count, result.SpansSent);
        Assert.Equal(result.Batches + 3, receiver.Calls);
        Assert.All(receiver.Headers, h => Assert.Equal(("tenant-7", "Bearer s3cret-token", "gzip"), (h["x-scope-orgid"], h["authorization"], h["grpc-encoding"])));
        Assert.Contains("Unavailable", log.ToString(), StringComparison.Ordinal);
        Assert.Contains("no response within 1 s, retrying", log.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", log.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", string.Join("\n", result.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resource_exhausted_with_retry_info_waits_as_long_as_the_server_asks()
    {
        await using var receiver = await GrpcTestReceiver.StartAsync(n => n == 1 ? new GrpcReply.Fail(StatusCode.ResourceExhausted, TimeSpan.FromSeconds(1)) : GrpcReply.Ok);
        var options = TestTraces.FastOptions(maxBatchBytes: 1 << 20, maxConcurrency: 1) with { MaxBackoff = TimeSpan.FromSeconds(5) };
        using var log = new StringWriter();
        var clock = Stopwatch.StartNew();

        var result = await RestoreAsync(receiver, options, log);

        Assert.True(result.Complete, string.Join("\n", result.Failures));
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(4));
        Assert.Equal(2, receiver.Calls);
        Assert.Contains("retrying in 1.0 s (RetryInfo)", log.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(StatusCode.ResourceExhausted)]
    [InlineData(StatusCode.InvalidArgument)]
    [InlineData(StatusCode.Unauthenticated)]
    public async Task Other_failures_are_not_retried_and_the_other_batches_are_delivered(StatusCode status)
    {
        await using var receiver = await GrpcTestReceiver.StartAsync(n => n == 2 ? new GrpcReply.Fail(status) : GrpcReply.Ok);

        var result = await RestoreAsync(receiver, TestTraces.FastOptions(maxConcurrency: 1), log: null);

        var failure = Assert.Single(result.Failures);
        Assert.Contains($"{status}: scripted {status}, not retried", failure, StringComparison.Ordinal);
        Assert.Equal(result.Batches + 1, receiver.Calls);
    }

    [Fact]
    public async Task Without_compression_messages_go_plain()
    {
        await using var receiver = await GrpcTestReceiver.StartAsync();

        var result = await RestoreAsync(receiver, TestTraces.FastOptions() with { Compression = OtlpCompression.None }, log: null);

        Assert.True(result.Complete);
        Assert.Equal(TestTraces.SpanIds(Data).Order(), receiver.DeliveredSpans().Order());
        Assert.All(receiver.Headers, h => Assert.False(h.ContainsKey("grpc-encoding")));
    }

    [Fact]
    public async Task A_status_message_that_echoes_a_header_value_is_redacted()
    {
        await using var receiver = await GrpcTestReceiver.StartAsync(_ => new GrpcReply.Fail(StatusCode.PermissionDenied, Message: "token s3cret-token is not allowed"));
        var options = TestTraces.FastOptions() with { Headers = [new("Authorization", "Bearer s3cret-token")] };

        var result = await RestoreAsync(receiver, options, log: null);

        Assert.All(result.Failures, f => Assert.Contains("token (hidden) is not allowed", f, StringComparison.Ordinal));
        Assert.DoesNotContain("s3cret", string.Join("\n", result.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Partial_success_is_counted_and_not_retried()
    {
        await using var receiver = await GrpcTestReceiver.StartAsync(n => n == 1 ? new GrpcReply.Accept(3, "3 spans too old") : GrpcReply.Ok);
        using var log = new StringWriter();

        var result = await RestoreAsync(receiver, TestTraces.FastOptions(maxConcurrency: 1), log);

        Assert.True(result.Complete);
        Assert.Equal(3, result.SpansRejected);
        Assert.Equal(result.Batches, receiver.Calls);
        Assert.Contains("rejected 3 of", log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Giving_up_after_max_attempts_is_a_failure_of_that_batch()
    {
        await using var receiver = await GrpcTestReceiver.StartAsync(_ => new GrpcReply.Fail(StatusCode.Unavailable));

        var result = await RestoreAsync(receiver, TestTraces.FastOptions(maxBatchBytes: 1 << 20, maxConcurrency: 1, maxAttempts: 3), log: null);

        Assert.Contains("gave up after 3 attempts", Assert.Single(result.Failures), StringComparison.Ordinal);
        Assert.Equal(3, receiver.Calls);
        Assert.Equal(0, result.SpansSent);
    }

    private static async Task<OtlpDeliveryResult> RestoreAsync(GrpcTestReceiver receiver, OtlpHttpOptions options, TextWriter? log)
    {
        await using var target = new BatchDelivery(new GrpcBatchSender(receiver.Endpoint, options, log), options, journal: null, log);
        foreach (var record in Data)
            target.AddRecord(record.ToByteArray(), RecordEncoding.Protobuf);
        return await target.CompleteAsync(CancellationToken.None);
    }
}
