using SpanRecovery.Otlp;
using SpanRecovery.Validation;
using Xunit.Abstractions;

namespace SpanRecovery.Tests.Validation;

/// <summary>Memory tests run alone: the process-wide heap size must not include other tests' objects.</summary>
[CollectionDefinition(nameof(SpanTableMemoryTests), DisableParallelization = true)]
public sealed class SpanTableMemoryCollection;

/// <summary>
/// The span table keeps compact entries (aim ≤ 64 B per span) and no per-span objects. Measured
/// with the allocation counter of the test thread, which counts every byte the table ever allocated —
/// including index arrays it has since outgrown — so it is an upper bound on what the table holds.
/// </summary>
[Collection(nameof(SpanTableMemoryTests))]
public class SpanTableMemoryTests(ITestOutputHelper output)
{
    private const int Batch = 5_000;
    private const int Spans = 1_000_000;
    private const double BudgetBytesPerSpan = 64;
    private const double AllocatedBudgetBytesPerSpan = 74;
    private const ulong T0 = 1_704_067_200UL * 1_000_000_000;
    private const ulong Second = 1_000_000_000;
    private const ulong Day = 86_400 * Second;

    /// <summary>
    /// Realistic data: random 128-bit trace IDs with 1–16 spans each, random span and parent IDs. Everything
    /// ever allocated, outgrown index arrays included, stays within the 64 B the table holds plus the one
    /// index generation it has outgrown (≈ 10 B at 1M spans, just after the index doubled): measured 73.8.
    /// </summary>
    [Fact]
    public void A_million_spans_of_random_traces_allocate_at_most_74_bytes_each()
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var table = Fill(spansPerTrace: 16);
        var perSpan = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)Spans;

        output.WriteLine($"{perSpan:F1} bytes allocated per span, {table.NumberTraces().Count} traces");
        Assert.Equal(Spans, table.Count);
        Assert.True(perSpan <= AllocatedBudgetBytesPerSpan, $"{perSpan:F1} bytes allocated per span (outgrown index arrays included)");
    }

    /// <summary>
    /// What the table holds once built (outgrown arrays collected): realistic traces, and the worst case
    /// for the trace index, every span in a trace of its own.
    /// </summary>
    [Theory]
    [InlineData(16, BudgetBytesPerSpan)] // measured 63.3: a 52-byte entry and its index slots (no trace index while reading)
    [InlineData(1, BudgetBytesPerSpan)] // measured 63.3: every span in a trace of its own costs the same
    public void A_million_spans_retain_at_most_64_bytes_each(int spansPerTrace, double budget)
    {
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var table = Fill(spansPerTrace);
        var perSpan = (GC.GetTotalMemory(forceFullCollection: true) - before) / (double)Spans;
        GC.KeepAlive(table);

        var traces = table.NumberTraces().Count;
        output.WriteLine($"{perSpan:F1} bytes retained per span, {traces} traces");
        Assert.True(perSpan <= budget, $"{perSpan:F1} bytes retained per span, {traces} traces");
    }

    /// <summary>
    /// A million spans; each trace has 1..<paramref name="spansPerTrace"/> of them (random), each span with a
    /// kind and times: starts within a day, lasting up to a second (longer spans cost 8 bytes more each).
    /// </summary>
    private static SpanTable Fill(int spansPerTrace)
    {
        var ids = new SplitMix((ulong)spansPerTrace);
        var table = new SpanTable();
        UInt128 trace = 0;
        var spansLeftInTrace = 0;
        for (var i = 0; i < Spans; i++)
        {
            if (spansLeftInTrace-- == 0)
            {
                trace = new UInt128(ids.Next(), ids.Next());
                spansLeftInTrace = (int)(ids.Next() % (ulong)spansPerTrace);
            }

            var start = T0 + (ids.Next() % Day);
            if (!table.TryAdd(trace, ids.Next() | 1, ids.Next(), (uint)ids.Next(), i, invalid: false, start, start + (ids.Next() % Second), (int)(ids.Next() % 6), out _))
                throw new InvalidOperationException("random 64-bit span IDs collided");
        }

        return table;
    }

    /// <summary>
    /// No per-span objects: growth is a few big arrays now and then, so most batches of spans added to a
    /// large table allocate nothing at all, where one object per span would cost ≥ 24 bytes in every batch.
    /// </summary>
    [Fact]
    public void Adding_spans_to_a_large_table_allocates_nothing_per_span()
    {
        var ids = new SplitMix(3);
        var table = new SpanTable();
        void Add(int i) => table.TryAdd(new UInt128(ids.Next(), ids.Next()), ids.Next() | 1, ids.Next(), 0, i, invalid: false, T0, T0 + 1000, 2, out _);

        AssertMostBatchesAllocateNothing(Add, warmup: 500_000);
    }

    /// <summary>The same through the validator: OnSpan of valid spans in steady state allocates nothing.</summary>
    [Fact]
    public void The_validator_allocates_nothing_per_span()
    {
        var ids = new SplitMix(11);
        var trace = new byte[16];
        var span = new byte[8];
        var parent = new byte[8];
        var validator = new DataIntegrityValidator();
        validator.BeginInput("mem", 0);

        void Add(int i)
        {
            BitConverter.TryWriteBytes(trace, ids.Next());
            BitConverter.TryWriteBytes(trace.AsSpan(8), ids.Next());
            BitConverter.TryWriteBytes(span, ids.Next() | 1);
            BitConverter.TryWriteBytes(parent, ids.Next() | 1);
            validator.OnSpan(new SpanView(trace, span, i % 2 == 0 ? parent : [], T0, T0 + 1000, 5, i));
        }

        AssertMostBatchesAllocateNothing(Add, warmup: 100_000);
    }

    /// <summary>
    /// Spans with findings after each rule's examples are full: nothing is kept, so nothing should be built
    /// (no allocation per span in steady state; whole archives of 1970 timestamps exist).
    /// </summary>
    [Fact]
    public void Findings_beyond_the_example_cap_allocate_nothing()
    {
        var ids = new SplitMix(5);
        var trace = new byte[16];
        var span = new byte[8];
        var validator = new DataIntegrityValidator();
        validator.BeginInput("mem", 0);

        void Add(int i)
        {
            BitConverter.TryWriteBytes(trace, ids.Next());
            BitConverter.TryWriteBytes(trace.AsSpan(8), ids.Next());
            BitConverter.TryWriteBytes(span, ids.Next() | 1);
            validator.OnSpan(new SpanView(trace, span, [], 1_000, 2_000, 5, i)); // timestamp-out-of-range
        }

        AssertMostBatchesAllocateNothing(Add, warmup: 100_000);
    }

    /// <summary>
    /// Measures batches of <see cref="Batch"/> spans after a warm-up. Code straight out of the JIT's first
    /// tier may box (Enum.HasFlag, for one) where optimized code does not, so when a measurement is not quiet
    /// the test waits for tiered compilation to promote the hot methods and measures again — "steady state".
    /// </summary>
    private void AssertMostBatchesAllocateNothing(Action<int> add, int warmup)
    {
        const int Batches = 40;
        var next = 0;
        while (next < warmup)
            add(next++);

        var perBatch = new long[Batches];
        var quiet = 0;
        for (var attempt = 0; attempt < 4; attempt++)
        {
            for (var b = 0; b < Batches; b++)
            {
                var before = GC.GetAllocatedBytesForCurrentThread();
                for (var i = 0; i < Batch; i++)
                    add(next++);
                perBatch[b] = GC.GetAllocatedBytesForCurrentThread() - before;
            }

            output.WriteLine($"attempt {attempt}, bytes per batch of {Batch}: " + string.Join(" ", perBatch));
            quiet = perBatch.Count(bytes => bytes < Batch * 24 / 10);
            if (quiet >= Batches * 3 / 4)
                break;
            Thread.Sleep(150);
        }

        Assert.True(quiet >= Batches * 3 / 4, $"only {quiet} of {Batches} batches allocated < 10 % of one 24-byte object per span");
    }

    /// <summary>A fast deterministic 64-bit generator (no allocation, unlike Random.NextBytes into arrays).</summary>
    private struct SplitMix(ulong seed)
    {
        private ulong _state = seed;

        public ulong Next()
        {
            var z = _state += 0x9E37_79B9_7F4A_7C15;
            z = (z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9;
            z = (z ^ (z >> 27)) * 0x94D0_49BB_1331_11EB;
            return z ^ (z >> 31);
        }
    }
}
