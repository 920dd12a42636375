using System.Buffers.Binary;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using SpanRecovery.Generation;
using SpanRecovery.Otlp;
using SpanRecovery.Sharding;
using SpanRecovery.Storage;
using SpanRecovery.Validation;

namespace SpanRecovery.Tests.Validation;

/// <summary>
/// docs/scale-out.md: the report is the same (but for elapsed time and throughput) whether the span table ran in
/// memory, over R partition files (and so are the --traces-out lines) (split again when one outgrows the limit), over
/// partitions held in memory, or moved to partition files when a table or memory partitions outgrew the memory limit mid-run — on
/// random data sets whose traces, duplicates, orphans and cycles cross files, records and partitions.
/// </summary>
public sealed class PartitionedValidationProperties
{
    private const ulong Second = 1_000_000_000;

    private static readonly int[] PartitionCounts = [1, 2, 16, 256];
    private static readonly int[] GoldenCounts = [1, 2, 16, 128, 256, 2048];

    [Property(MaxTest = 25)]
    public Property Every_partitioning_gives_the_in_memory_report() =>
        Prop.ForAll(Arb.From(Gen.Choose(0, int.MaxValue)), Arb.From(Gen.Elements(0, 1, 3, 10)), (seed, examples) =>
        {
            var inputs = RandomArchive(seed);
            var options = new ValidationOptions { MaxExamples = examples, MaxTraceSpans = 1 + (seed % 40) };
            var expected = JsonAndTraces(inputs, options);
            foreach (var partitions in PartitionCounts)
                Assert.Equal(expected, JsonAndTraces(inputs, options with { Partitions = partitions }));
            // A limit of ~2,000 spans: the table moves into partition files after a few thousand.
            // Only spans with a well-formed trace ID are held (the others enter no table).
            var held = inputs.Sum(i => i.Count(s => HasTraceKey(s.Span)));
            var outgrown = Run(inputs, options with { MemoryLimitBytes = TraceTables.TableBytesPerSpan * 2000L });
            Assert.Equal(held > 2000, outgrown.Partitions > 0);
            Assert.Equal(expected, JsonAndTraces(inputs, options with { MemoryLimitBytes = TraceTables.TableBytesPerSpan * 2000L }));
            // Two partitions but room for ~600 spans: partitions are split again in pass 2.
            Assert.Equal(expected, JsonAndTraces(inputs, options with { Partitions = 2, MemoryLimitBytes = TraceTables.TableBytesPerSpan * 600L }));
            // Partitions held in memory for speed, and the same outgrowing the limit and moving to partition files.
            var fast = options with { FastPartitionsFromSpans = 1, ExpectedSpans = 1 + (seed % 5000) };
            var inMemoryPartitions = Run(inputs, fast);
            Assert.True(inMemoryPartitions.Partitions >= 2 && inMemoryPartitions.SpillBytes == 0);
            Assert.Equal(expected, JsonAndTraces(inputs, fast));
            // Partitions in memory may take half the limit (pass 2 builds tables beside them): here 1000 spans.
            var fastOutgrown = Run(inputs, fast with { ExpectedSpans = 1000, MemoryLimitBytes = TraceTables.TableBytesPerSpan * 2000L });
            Assert.Equal(held > 1000, fastOutgrown.SpillBytes > 0);
            Assert.Equal(expected, JsonAndTraces(inputs, fast with { ExpectedSpans = 1000, MemoryLimitBytes = TraceTables.TableBytesPerSpan * 2000L }));
        });

    /// <summary>Generated archives (real files, several formats) validated in memory, partitioned and as shard tasks.</summary>
    [Property(MaxTest = 8)]
    public Property Shard_tasks_give_the_validate_report() =>
        Prop.ForAll(Arb.From(Gen.Choose(0, 10_000)), Arb.From(Gen.Choose(1, 4)), Arb.From(Gen.Elements(1, 2, 16)), (seed, mapTasks, partitions) =>
        {
            using var dir = new TempDirectory();
            var archive = dir.File("archive");
            var compression = (InputCompression)(seed % 4);
            ArchiveGenerator.Generate(archive, new GeneratorOptions(1000 + (seed % 7000), Seed: seed, Files: 1 + (seed % 5), DefectRate: 0.05,
                Compression: compression, SpansPerRecord: 1 + (seed % 100)));
            var options = new ValidationOptions { MaxExamples = seed % 4, MaxTraceSpans = 1 + (seed % 20) };
            using var inMemoryTraces = new MemoryStream();
            var expected = Json(ArchiveValidation.ValidateAsync([archive], options with { TracesOut = inMemoryTraces }).GetAwaiter().GetResult());
            var expectedTraces = Lines(inMemoryTraces);
            using var partitionedTraces = new MemoryStream();
            Assert.Equal(expected, Json(ArchiveValidation.ValidateAsync([archive], options with { Partitions = partitions, TracesOut = partitionedTraces }).GetAwaiter().GetResult()));
            Assert.Equal(expectedTraces, Lines(partitionedTraces));

            using var work = new DirectoryObjectStore(dir.File("work"));
            var plan = ShardTasks.PlanAsync(work, [archive], mapTasks, partitions, ShardSettings.From(options, new ReaderOptions())).GetAwaiter().GetResult();
            for (var task = plan.MapTasks - 1; task >= 0; task--)
                ShardTasks.MapAsync(work, task).GetAwaiter().GetResult();
            for (var p = 0; p < partitions; p++)
                ShardTasks.ReduceAsync(work, p).GetAwaiter().GetResult();
            using var shardTraces = new MemoryStream();
            Assert.Equal(expected, Json(ShardTasks.MergeAsync(work, shardTraces).GetAwaiter().GetResult()));
            Assert.Equal(expectedTraces, Lines(shardTraces));
        });

    [Fact]
    public void The_partition_of_a_trace_is_fixed_forever()
    {
        // Shard tasks of different versions must agree: these values may never change.
        var trace = BinaryPrimitives.ReadUInt128BigEndian(Convert.FromHexString("4bf92f3577b34da6a3ce929d0e0e4736"));
        Assert.Equal([0, 0, 4, 35, 70, 564], GoldenCounts.Select(r => PartitionFile.PartitionOf(trace, r)));
        Assert.Equal(1, PartitionFile.PartitionOf(UInt128.Zero, 2));
        Assert.Equal(1, PartitionFile.PartitionOf(UInt128.MaxValue, 2));
    }

    [Property(MaxTest = 500)]
    public void The_inlined_partition_hash_is_xxhash64(ulong high, ulong low, byte level)
    {
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, high);
        BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(8), low);
        Assert.Equal(System.IO.Hashing.XxHash64.HashToUInt64(bytes, level),
            PartitionFile.XxHash64Of16(BinaryPrimitives.ReverseEndianness(high), BinaryPrimitives.ReverseEndianness(low), level));
    }

    private static bool HasTraceKey(TestSpan span) =>
        span.TraceId.Length == 16 && span.TraceId.AsSpan().ContainsAnyExcept((byte)0) && (span.Problems & IdEncodingProblems.TraceIdNotHex) == 0;

    private static ValidationReport Run(List<List<(long Offset, TestSpan Span)>> inputs, ValidationOptions options)
    {
        using var validator = new DataIntegrityValidator(options);
        for (var i = 0; i < inputs.Count; i++)
        {
            validator.BeginInput($"input-{i}", 0);
            foreach (var (offset, span) in inputs[i])
                validator.OnSpan(ValidatorHarness.View(span, offset));
            validator.EndInput(new InputDescription(RecordFraming.LengthPrefixed, InputCompression.None));
        }

        return validator.Complete();
    }

    /// <summary>The report JSON and the --traces-out lines (in no promised order: sorted).</summary>
    private static (string Json, string Traces) JsonAndTraces(List<List<(long Offset, TestSpan Span)>> inputs, ValidationOptions options)
    {
        using var traces = new MemoryStream();
        var report = Run(inputs, options with { TracesOut = traces });
        return (Json(report), Lines(traces));
    }

    private static string Lines(MemoryStream traces) =>
        string.Join("\n", System.Text.Encoding.UTF8.GetString(traces.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));

    /// <summary>The report JSON but for elapsed time and throughput, which differ from run to run.</summary>
    internal static string Json(ValidationReport report)
    {
        using var stream = new MemoryStream();
        ValidationReportWriter.WriteJson(report, stream);
        var json = JsonNode.Parse(stream.ToArray())!.AsObject();
        json.Remove("elapsedSeconds");
        json.Remove("throughput");
        return json.ToJsonString();
    }

    /// <summary>
    /// 1–4 inputs of records holding 1–8 spans each; 500–12,000 spans over pools of trace and span IDs sized so
    /// that duplicates, orphans and cycles happen, with a few malformed IDs and times.
    /// </summary>
    private static List<List<(long Offset, TestSpan Span)>> RandomArchive(int seed)
    {
        var random = new Random(seed);
        var spans = random.Next(500, 12_001);
        var traces = random.Next(2) == 0 ? random.Next(1, 40) : random.Next(40, 5000);
        var spanIds = random.Next(2) == 0 ? random.Next(2, 30) : random.Next(30, 3000);
        var inputs = Enumerable.Range(0, random.Next(1, 5)).Select(_ => new List<(long, TestSpan)>()).ToList();
        long offset = 0;
        var input = inputs[0];
        var inRecord = 0;
        for (var i = 0; i < spans; i++)
        {
            if (inRecord-- == 0)
            {
                inRecord = random.Next(8);
                offset += random.Next(1, 500);
                input = inputs[random.Next(inputs.Count)];
                offset = input.Count == 0 ? offset : Math.Max(offset, input[^1].Item1 + 1);
            }

            var t = (ulong)random.Next(traces);
            var trace = new byte[16];
            BinaryPrimitives.WriteUInt64BigEndian(trace, (t * 0x9E37_79B9_7F4A_7C15) + 1);
            BinaryPrimitives.WriteUInt64BigEndian(trace.AsSpan(8), t);
            if (random.Next(300) == 0)
                trace = random.Next(2) == 0 ? new byte[16] : [];
            var span = Id8((ulong)random.Next(1, spanIds + 1));
            if (random.Next(300) == 0)
                span = random.Next(2) == 0 ? new byte[8] : [1, 2];
            var parent = random.Next(4) == 0 ? [] : Id8((ulong)random.Next(1, spanIds + 1));
            var start = (1_704_067_200 * Second) + (ulong)random.NextInt64(0, 86_400 * (long)Second);
            var end = random.Next(100) == 0 ? start - 1 : start + (ulong)random.NextInt64(0, 2 * 86_400 * (long)Second);
            // Kinds make shared spans and the PRODUCER/CONSUMER exemptions happen; a few events and links are off.
            var kind = random.Next(7);
            ulong[]? events = random.Next(10) == 0 ? [start - 1000 + (ulong)random.Next(2000)] : null;
            TestLink[]? links = random.Next(20) == 0 ? [new TestLink(trace, random.Next(2) == 0 ? [] : span)] : null;
            input.Add((offset, new TestSpan(trace, span, parent, start, end, (ulong)random.Next(2), Kind: kind, EventTimes: events, Links: links)));
        }

        return inputs;
    }

    private static byte[] Id8(ulong value)
    {
        var id = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(id, value);
        return id;
    }
}
