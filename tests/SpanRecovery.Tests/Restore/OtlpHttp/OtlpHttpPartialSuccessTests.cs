using Google.Protobuf;
using SpanRecovery.Restore;

namespace SpanRecovery.Tests.Restore;

/// <summary>Partial success per batch: in the result (first 10) and in the journal, so a rerun still reports it.</summary>
public sealed class OtlpHttpPartialSuccessTests
{
    private static readonly List<OpenTelemetry.Proto.Trace.V1.TracesData> Data =
        [.. Enumerable.Range(0, 16).Select(seed => TestTraces.Build(seed, resources: 2, scopes: 1, spans: 10))];

    private static IEnumerable<byte[]> Records => Data.Select(d => d.ToByteArray());

    [Fact]
    public async Task Each_partly_rejected_batch_is_listed_with_its_count_and_message_the_first_ten_by_batch()
    {
        await using var receiver = new OtlpTestReceiver(n => new ReceiverReply.Accept(n % 3 + 1, $"span too old (request {n})"));

        var result = await TestTraces.RestoreAsync(receiver, Records, TestTraces.FastOptions(maxBatchBytes: 2048, maxConcurrency: 1));

        Assert.True(result.Complete);
        Assert.True(result.Batches > 10);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), result.Rejected.Select(r => r.Batch));
        Assert.Equal(Enumerable.Range(1, 10).Select(n => (long)(n % 3 + 1)), result.Rejected.Select(r => r.RejectedSpans));
        Assert.Equal("span too old (request 4)", result.Rejected[3].ErrorMessage);
        Assert.Equal(Enumerable.Range(1, (int)result.Batches).Sum(n => n % 3 + 1), result.SpansRejected);
    }

    [Fact]
    public async Task A_rerun_reports_what_the_receiver_rejected_of_the_batches_it_skips()
    {
        using var directory = new TempDirectory();
        var journal = directory.File("restore.journal");
        var options = TestTraces.FastOptions(maxBatchBytes: 4096, maxConcurrency: 1);
        await using var failing = new OtlpTestReceiver(n => n switch
        {
            2 => new ReceiverReply.Accept(4, "quota\nexceeded"),
            <= 3 => ReceiverReply.Ok,
            _ => new ReceiverReply.Status(400),
        });
        var first = await TestTraces.RestoreAsync(failing, Records, options, journal, "key");
        Assert.Equal(4, first.SpansRejected);
        Assert.Contains("1 4 quota exceeded", File.ReadAllLines(journal));

        await using var healthy = new OtlpTestReceiver();
        var rerun = await TestTraces.RestoreAsync(healthy, Records, options, journal, "key");

        Assert.True(rerun.Complete);
        Assert.Equal(3, rerun.BatchesSkipped);
        Assert.Equal(4, rerun.SpansRejected);
        Assert.Equal(new RejectedBatch(1, 4, "quota exceeded"), Assert.Single(rerun.Rejected));
    }
}
