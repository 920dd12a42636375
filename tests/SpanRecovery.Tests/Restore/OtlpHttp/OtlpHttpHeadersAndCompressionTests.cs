using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using SpanRecovery.Restore;

namespace SpanRecovery.Tests.Restore;

/// <summary>Headers on every request, gzip bodies a receiver can gunzip, and header values kept out of every text.</summary>
public sealed class OtlpHttpHeadersAndCompressionTests
{
    private const string Secret = "Bearer s3cr3t-t0ken-value";

    private static readonly List<OpenTelemetry.Proto.Trace.V1.TracesData> Data =
        [.. Enumerable.Range(0, 6).Select(seed => TestTraces.Build(seed, resources: 2, scopes: 2, spans: 10))];

    private static IEnumerable<byte[]> Records => Data.Select(d => d.ToByteArray());

    private static readonly RequestHeader[] Headers = [new("X-Scope-OrgID", "tenant-7"), RequestHeader.Parse($"Authorization: {Secret}")];

    [Fact]
    public async Task Every_request_carries_the_headers_and_a_gzip_body_that_decodes_to_the_spans()
    {
        await using var receiver = new OtlpTestReceiver();
        var options = TestTraces.FastOptions(maxBatchBytes: 2048) with { Headers = Headers };

        var result = await TestTraces.RestoreAsync(receiver, Records, options);

        Assert.True(result.Complete);
        Assert.True(receiver.Received.Count > 5);
        Assert.All(receiver.Received, request =>
        {
            Assert.Equal("tenant-7", request.Headers["X-Scope-OrgID"]);
            Assert.Equal(Secret, request.Headers["Authorization"]);
            Assert.Equal("gzip", request.Headers["Content-Encoding"]);
            Assert.Equal("application/x-protobuf", request.Headers["Content-Type"]);
            Assert.Equal([0x1f, 0x8b], request.WireBody[..2]);
            ExportTraceServiceRequest.Parser.ParseFrom(OtlpTestReceiver.Gunzip(request.WireBody));
        });
        Assert.Equal(TestTraces.SpanIds(Data).Order(), receiver.DeliveredSpans().Order());
        Assert.Equal(receiver.Delivered.Sum(d => d.Body.Length), result.BytesSent);
    }

    [Fact]
    public async Task Compression_none_sends_plain_protobuf()
    {
        await using var receiver = new OtlpTestReceiver();
        var options = TestTraces.FastOptions() with { Compression = OtlpCompression.None };

        var result = await TestTraces.RestoreAsync(receiver, Records, options);

        Assert.True(result.Complete);
        Assert.All(receiver.Received, request =>
        {
            Assert.Null(request.Headers["Content-Encoding"]);
            ExportTraceServiceRequest.Parser.ParseFrom(request.WireBody);
        });
        Assert.Equal(TestTraces.SpanIds(Data).Order(), receiver.DeliveredSpans().Order());
    }

    [Fact]
    public async Task A_receiver_that_refuses_gzip_gets_every_batch_uncompressed_after_the_first_refusal()
    {
        await using var receiver = new OtlpTestReceiver(acceptsGzip: false);
        using var log = new StringWriter();

        var result = await TestTraces.RestoreAsync(receiver, Records, TestTraces.FastOptions(maxConcurrency: 1), log: log);

        Assert.True(result.Complete, string.Join("; ", result.Failures));
        Assert.Equal(TestTraces.SpanIds(Data).Order(), receiver.DeliveredSpans().Order());
        var encodings = receiver.Received.Select(r => r.Headers["Content-Encoding"]).ToList();
        Assert.Equal("gzip", encodings[0]);
        Assert.True(encodings.Count > 2, "several batches");
        Assert.All(encodings.Skip(1), e => Assert.Null(e));
        Assert.Single(log.ToString().Split('\n'), line => line.Contains("refused a gzip body (400", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_400_for_the_data_itself_still_fails_the_batch_after_one_uncompressed_try()
    {
        await using var receiver = new OtlpTestReceiver(_ => new ReceiverReply.Status(400, Body: "bad spans"));

        var result = await TestTraces.RestoreAsync(receiver, Records, TestTraces.FastOptions(maxConcurrency: 1));

        Assert.False(result.Complete);
        Assert.Contains(result.Failures, f => f.Contains("400", StringComparison.Ordinal) && f.Contains("bad spans", StringComparison.Ordinal));
        Assert.Empty(receiver.DeliveredSpans());
    }

    [Fact]
    public async Task A_receiver_that_echoes_a_header_value_cannot_put_it_in_the_failures_or_the_log()
    {
        await using var receiver = new OtlpTestReceiver(n => n switch
        {
            1 => new ReceiverReply.Status(401, Body: $"token {Secret} is not allowed"),
            2 => new ReceiverReply.Accept(2, $"rejected for {Secret}"),
            _ => new ReceiverReply.Status(307, Location: $"http://127.0.0.1:9/?auth={Uri.EscapeDataString(Secret)}"),
        });
        var options = TestTraces.FastOptions(maxBatchBytes: 1 << 20, maxConcurrency: 1) with { Headers = Headers };
        using var log = new StringWriter();
        var texts = new List<string>();
        for (var run = 0; run < 3; run++)
        {
            var result = await TestTraces.RestoreAsync(receiver, Records, options, log: log);
            texts.AddRange(result.Failures);
            texts.AddRange(result.Rejected.Select(r => r.ErrorMessage));
        }

        Assert.Contains(texts, t => t.Contains("401", StringComparison.Ordinal));
        Assert.Contains(texts, t => t.Contains("rejected for (hidden)", StringComparison.Ordinal));
        Assert.Contains(texts, t => t.Contains("307", StringComparison.Ordinal));
        Assert.All(texts.Append(log.ToString()), t => Assert.DoesNotContain("s3cr3t", t, StringComparison.Ordinal));
        Assert.DoesNotContain(Secret, Headers[1].ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Authorization Bearer s3cr3t")]
    [InlineData(": s3cr3t")]
    [InlineData("Bad Name s3cr3t: value")]
    [InlineData("Content-Encoding: s3cr3t")]
    [InlineData("X-Token: s3cr3t\r\nInjected: yes")]
    public void A_header_that_is_not_Name_colon_value_is_refused_without_echoing_it(string text)
    {
        var error = Assert.Throws<FormatException>(() => RequestHeader.Parse(text));

        Assert.DoesNotContain("s3cr3t", error.Message, StringComparison.Ordinal);
    }
}
