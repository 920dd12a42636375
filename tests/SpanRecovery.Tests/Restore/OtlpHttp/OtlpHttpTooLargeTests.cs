using Google.Protobuf;
using SpanRecovery.Restore;

namespace SpanRecovery.Tests.Restore;

/// <summary>413 Payload Too Large: batches are sent in halves, later batches are built smaller, and a rerun builds the same batches.</summary>
public sealed class OtlpHttpTooLargeTests
{
    private const int ReceiverLimit = 16 * 1024;

    private static readonly List<OpenTelemetry.Proto.Trace.V1.TracesData> Data =
        [.. Enumerable.Range(0, 12).Select(seed => TestTraces.Build(seed, resources: 1, scopes: 1, spans: 120))];

    private static IEnumerable<byte[]> Records => Data.Select(d => d.ToByteArray());

    [Fact]
    public async Task A_receiver_with_a_size_limit_gets_every_span_in_bodies_under_its_limit()
    {
        await using var receiver = new OtlpTestReceiver(maxBodyBytes: ReceiverLimit);
        using var log = new StringWriter();

        var result = await TestTraces.RestoreAsync(receiver, Records, TestTraces.FastOptions(maxBatchBytes: 256 * 1024, maxConcurrency: 1), log: log);

        Assert.True(result.Complete, string.Join("\n", result.Failures));
        Assert.Equal(TestTraces.SpanIds(Data).Order(), receiver.DeliveredSpans().Order());
        Assert.All(receiver.Delivered, d => Assert.InRange(d.Body.Length, 1, ReceiverLimit));
        var refused = receiver.BodySizes.Count(size => size > ReceiverLimit);
        // Halving 256 KiB down to 16 KiB takes a handful of refusals; after that, batches are built small enough.
        Assert.InRange(refused, 1, 12);
        Assert.Contains("413", log.ToString(), StringComparison.Ordinal);
        Assert.Contains("sent in halves; batches from", log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_single_span_still_too_large_fails_its_batch_and_the_rest_arrives()
    {
        var data = TestTraces.Build(seed: 3, resources: 1, scopes: 1, spans: 50);
        var huge = TestTraces.Span(new Random(5), payloadBytes: 2 * ReceiverLimit);
        data.ResourceSpans[0].ScopeSpans[0].Spans.Insert(25, huge);
        await using var receiver = new OtlpTestReceiver(maxBodyBytes: ReceiverLimit);

        var result = await TestTraces.RestoreAsync(receiver, [data.ToByteArray()], TestTraces.FastOptions(maxBatchBytes: 1 << 20) with { Compression = OtlpCompression.None });

        var failure = Assert.Single(result.Failures);
        Assert.Contains("413", failure, StringComparison.Ordinal);
        Assert.Contains("a single span that cannot be split further", failure, StringComparison.Ordinal);
        Assert.Equal(50, receiver.DeliveredSpans().Count);
        Assert.DoesNotContain(Convert.ToHexStringLower(huge.SpanId.Span), receiver.DeliveredSpans().Select(s => s.SpanId));
    }

    [Fact]
    public async Task A_rerun_after_a_413_builds_the_same_batches_and_skips_the_delivered_ones()
    {
        using var directory = new TempDirectory();
        var journal = directory.File("restore.journal");
        var options = TestTraces.FastOptions(maxBatchBytes: 64 * 1024, maxConcurrency: 1);
        await using var failing = new OtlpTestReceiver(n => n <= 8 ? ReceiverReply.Ok : new ReceiverReply.Status(500), maxBodyBytes: ReceiverLimit);
        var first = await TestTraces.RestoreAsync(failing, Records, options, journal, "key");
        Assert.False(first.Complete);
        Assert.Contains(File.ReadAllLines(journal), line => line.StartsWith("limit ", StringComparison.Ordinal));

        await using var healthy = new OtlpTestReceiver(maxBodyBytes: ReceiverLimit);
        var second = await TestTraces.RestoreAsync(healthy, Records, options, journal, "key");

        Assert.True(second.Complete, string.Join("\n", second.Failures));
        Assert.Equal(first.Batches, second.BatchesSkipped);
        Assert.Empty(failing.DeliveredSpans().Intersect(healthy.DeliveredSpans()));
        Assert.Equal(TestTraces.SpanIds(Data).Order(), failing.DeliveredSpans().Concat(healthy.DeliveredSpans()).Order());
    }

    [Fact]
    public void A_limit_lowered_during_a_run_gives_the_batches_a_run_that_knew_it_from_the_start_builds()
    {
        var fragments = Enumerable.Range(0, 200).Select(i => new byte[100 + (i * 37 % 400)]).ToList();
        var during = new BatchBuilder(4000);
        var built = new List<(long Index, int Length)>();
        long? from = null;
        foreach (var (fragment, i) in fragments.Select((f, i) => (f, i)))
        {
            if (during.Add(fragment, 1) is { } batch)
                built.Add((batch.Index, batch.Length));
            if (i == 57)
                from = during.Shrink(1500);
        }

        built.Add((during.Flush()!.Index, 0));
        var known = new BatchBuilder(4000, [(from!.Value, 1500)]);
        var rebuilt = new List<(long Index, int Length)>();
        foreach (var fragment in fragments)
        {
            if (known.Add(fragment, 1) is { } batch)
                rebuilt.Add((batch.Index, batch.Length));
        }

        rebuilt.Add((known.Flush()!.Index, 0));
        Assert.Equal(built, rebuilt);
        Assert.All(built.Where(b => b.Index > from && b.Length > 0), b => Assert.InRange(b.Length, 1, 1500));
        Assert.Contains(built, b => b.Index < from && b.Length > 1500);
    }
}
