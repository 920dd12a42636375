using Google.Protobuf;

namespace SpanRecovery.Tests.Restore;

/// <summary>
/// Redirects are never delivery: a 301/302 followed by a client becomes a body-less GET that answers 200,
/// and a 307/308 re-sends the spans to a host nobody named. Each must fail its batch, naming the Location.
/// </summary>
public sealed class OtlpHttpRedirectTests
{
    [Theory]
    [InlineData(301)]
    [InlineData(302)]
    [InlineData(303)]
    [InlineData(307)]
    [InlineData(308)]
    public async Task A_redirect_fails_the_batch_and_nothing_reaches_the_other_host(int status)
    {
        await using var elsewhere = new OtlpTestReceiver();
        var location = new Uri(elsewhere.Endpoint, "/v1/traces").ToString();
        await using var receiver = new OtlpTestReceiver(_ => new ReceiverReply.Status(status, Location: location));
        var records = Enumerable.Range(0, 3).Select(seed => TestTraces.Build(seed, resources: 1, scopes: 1, spans: 5).ToByteArray());

        var result = await TestTraces.RestoreAsync(receiver, records, TestTraces.FastOptions(maxBatchBytes: 1 << 20));

        Assert.False(result.Complete);
        Assert.Contains(result.Failures, f => f.Contains($"{status} ", StringComparison.Ordinal) && f.Contains(location, StringComparison.Ordinal));
        Assert.Equal(0, result.SpansSent);
        Assert.Equal(0, elsewhere.Requests);
        Assert.Equal(1, receiver.Requests); // not retried: a redirect does not go away by asking again
    }
}
