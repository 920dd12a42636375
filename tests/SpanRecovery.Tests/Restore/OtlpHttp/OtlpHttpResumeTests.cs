using Google.Protobuf;
using SpanRecovery.Restore;

namespace SpanRecovery.Tests.Restore;

/// <summary>The resume journal: a rerun of an interrupted restore skips what was delivered.</summary>
public sealed class OtlpHttpResumeTests
{
    private static readonly List<OpenTelemetry.Proto.Trace.V1.TracesData> Data =
        [.. Enumerable.Range(0, 10).Select(seed => TestTraces.Build(seed, resources: 2, scopes: 2, spans: 8))];

    private static readonly OtlpHttpOptions Options = TestTraces.FastOptions(maxBatchBytes: 4096, maxConcurrency: 1);

    private static IEnumerable<byte[]> Records => Data.Select(d => d.ToByteArray());

    [Fact]
    public async Task A_rerun_after_a_hard_failure_sends_only_the_batches_not_yet_acknowledged()
    {
        using var directory = new TempDirectory();
        var journal = directory.File("restore.journal");
        await using var failing = new OtlpTestReceiver(n => n <= 3 ? ReceiverReply.Ok : new ReceiverReply.Status(500));
        var first = await TestTraces.RestoreAsync(failing, Records, Options, journal, "backup-1");
        Assert.False(first.Complete);
        Assert.Equal(3, first.Batches);
        Assert.True(File.Exists(journal));

        await using var healthy = new OtlpTestReceiver();
        var second = await TestTraces.RestoreAsync(healthy, Records, Options, journal, "backup-1");

        Assert.True(second.Complete);
        Assert.Equal(3, second.BatchesSkipped);
        Assert.Equal(first.SpansSent, second.SpansSkipped);
        Assert.Empty(failing.DeliveredSpans().Intersect(healthy.DeliveredSpans()));
        Assert.Equal(TestTraces.SpanIds(Data).Order(), failing.DeliveredSpans().Concat(healthy.DeliveredSpans()).Order());
        Assert.False(File.Exists(journal));
    }

    [Fact]
    public async Task A_journal_of_another_restore_is_discarded()
    {
        using var directory = new TempDirectory();
        var journal = directory.File("restore.journal");
        await using var failing = new OtlpTestReceiver(n => n <= 3 ? ReceiverReply.Ok : new ReceiverReply.Status(400));
        await TestTraces.RestoreAsync(failing, Records, Options, journal, "backup-1");

        await using var healthy = new OtlpTestReceiver();
        var other = await TestTraces.RestoreAsync(healthy, Records, Options, journal, "backup-2");

        Assert.True(other.Complete);
        Assert.Equal(0, other.BatchesSkipped);
        Assert.Equal(TestTraces.SpanIds(Data).Order(), healthy.DeliveredSpans().Order());
        Assert.False(File.Exists(journal));
    }

    [Fact]
    public async Task A_cancelled_restore_keeps_its_journal_and_the_rerun_completes_it()
    {
        using var directory = new TempDirectory();
        var journal = directory.File("restore.journal");
        using var cancel = new CancellationTokenSource();
        await using var slow = new OtlpTestReceiver(n =>
        {
            if (n == 4)
                cancel.Cancel();
            return new ReceiverReply.Delayed(TimeSpan.FromMilliseconds(50), ReceiverReply.Ok);
        });
        var options = Options;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => TestTraces.RestoreAsync(slow, Records, options, journal, "backup-1", cancellationToken: cancel.Token));
        Assert.True(File.Exists(journal));
        var acknowledged = File.ReadAllLines(journal).Length - 1;
        Assert.Equal(3, acknowledged);

        await using var healthy = new OtlpTestReceiver();
        var rerun = await TestTraces.RestoreAsync(healthy, Records, options, journal, "backup-1");

        Assert.True(rerun.Complete);
        Assert.Equal(acknowledged, rerun.BatchesSkipped);
        Assert.Equal(rerun.Batches, healthy.Requests);
        Assert.Equal(TestTraces.SpanIds(Data).Order(), slow.DeliveredSpans().Concat(healthy.DeliveredSpans()).Distinct().Order());
        Assert.False(File.Exists(journal));
    }
}
