using SpanRecovery.Storage;

namespace SpanRecovery.Validation;

/// <summary>
/// Runs the table rules over a whole data set within a memory limit (docs/scale-out.md): one <see cref="TableRules"/>
/// in memory while its table fits, otherwise R partition files by trace ID (pass 1, <see cref="PartitionSpill"/>)
/// each checked by a table of its own (pass 2). A data set that fits but would make one table slow is
/// partitioned the same way in memory (<see cref="MemoryPartitions"/>). Since every trace is whole in one
/// partition, the outcome is the same whichever way it ran. The choice is made up front from the expected
/// spans when they are known, and again as the spans come: a table or memory partitions that reach the limit
/// are drained into partition files and reading goes on, and a partition that still outgrows the limit is
/// split again in pass 2, so a wrong estimate costs time, not memory. Only a single trace larger than the
/// limit can exceed it: its spans must be checked together.
/// </summary>
internal sealed class TraceTables : IDisposable
{
    /// <summary>
    /// What one span costs in a table: a 52-byte entry plus its index, with room for the index's growth and
    /// for what checking the traces takes at the end (numbering them, the findings of each).
    /// </summary>
    public const int TableBytesPerSpan = 80;

    private const int MaxPartitions = PartitionFile.MaxPartitions;

    /// <summary>Splits of one partition at most: beyond a few, what is left is one trace too large for the limit.</summary>
    private const int MaxSplits = 4;

    /// <summary>
    /// Spans per partition when partitioning for speed: a table of 25k spans (about 1.5 MB with its index and
    /// the arrays of its end-of-input passes) stays in a core's L2 cache, where its lookups are several times
    /// faster than in L3 or memory (5M and 10M spans: 4–14 % faster than with tables of 100k, by run).
    /// </summary>
    private const long SpansPerFastPartition = 25_000;

    private readonly ValidationOptions _options;
    private readonly long _tableLimitSpans;
    private TableRules? _inMemory;
    private ITracePartitions? _partitions;
    private readonly TraceLinesWriter? _tracesOut;
    private TableStage _stage;
    private long _added;

    public TraceTables(ValidationOptions options)
    {
        _options = options;
        _tracesOut = options.TracesOut is { } stream ? new TraceLinesWriter(stream) : null;
        _tableLimitSpans = Math.Max(1, options.EffectiveMemoryLimitBytes / TableBytesPerSpan);
        if (options.Partitions is > 0 and var forced)
        {
            _partitions = NewSpill(forced, options.ExpectedSpans ?? 0);
        }
        else if (options.ExpectedSpans is { } expected && expected > _tableLimitSpans)
        {
            _partitions = NewSpill(PartitionsFor(expected), expected);
        }
        else if (options.Partitions is null && options.ExpectedSpans is { } large
            && large >= options.FastPartitionsFromSpans && large <= _tableLimitSpans / 2)
        {
            // Only for speed, and within the limit: in memory, where nothing is encoded, checksummed or written.
            _partitions = new MemoryPartitions(PartitionsFor(large));
        }

        // Sized from the estimate, but never beyond the limit: the estimate may be far above the truth.
        _inMemory = _partitions is null ? new TableRules(options, Math.Min(options.ExpectedSpans ?? 0, _tableLimitSpans)) : null;
        _stage = new TableStage(_partitions ?? (ISpanBatchTarget)_inMemory!);
    }

    /// <summary>Partitions in use; 0 while everything fits in memory.</summary>
    public int Partitions => _partitions?.Partitions ?? 0;

    public void Add(in PendingSpan span)
    {
        _stage.Add(span);
        // Spans handed over bound what is held in memory from above (repeats never enter a table), and unlike
        // the table's own count they are known on this thread without waiting for the table.
        if (++_added > HeldLimit)
            MoveToSpill();
    }

    /// <summary>
    /// Spans that may be held in memory before they move to spill files: a table's worth, or half of it for
    /// partitions held in memory, since pass 2 builds tables beside them; no bound once they are in files.
    /// </summary>
    private long HeldLimit => _partitions switch
    {
        null => _tableLimitSpans,
        MemoryPartitions => _tableLimitSpans / 2,
        _ => long.MaxValue,
    };

    /// <summary>Everything the table rules found, and the spill bytes it took.</summary>
    public (TableOutcome Outcome, long SpillBytes) Complete(CancellationToken cancellationToken = default)
    {
        _stage.Finish();
        if (_inMemory is not null)
            return (_inMemory.Complete(_tracesOut), 0);
        var partitions = _partitions!;
        var outcomes = new TableOutcome[partitions.Partitions];
        // Two partitions at a time when two of the largest fit in the limit together (beside the partitions
        // themselves, when they are held in memory).
        var largest = Enumerable.Range(0, partitions.Partitions).Max(partitions.SpansIn);
        var room = _tableLimitSpans - (partitions is MemoryPartitions ? _added : 0);
        var parallel = Math.Clamp(room / Math.Max(1, largest), 1, Environment.ProcessorCount);
        try
        {
            Parallel.For(0, partitions.Partitions, new ParallelOptions { MaxDegreeOfParallelism = (int)parallel, CancellationToken = cancellationToken }, p =>
                outcomes[p] = CheckPartition(partitions, p, level: 0, cancellationToken));
        }
        catch (AggregateException e)
        {
            // A damaged spill file or a full disk: the first problem, as it would be without the parallelism.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
        }

        return (TableOutcome.Merge(outcomes, _options.MaxExamples), partitions.Bytes);
    }

    /// <summary>Ends pass 1 of a run forced into partitions and hands over its files (a shard map task uploads them).</summary>
    public PartitionSpill FinishSpill()
    {
        _stage.Finish();
        var spill = _partitions as PartitionSpill ?? throw new InvalidOperationException("not partitioned into files");
        spill.Flush();
        return spill;
    }

    /// <summary>
    /// One partition through a table of its own; a partition larger than the limit (the data set outgrew its
    /// estimate) is split again by an independent hash of the trace ID, as often as needed — all spans of one
    /// trace stay together, so only a single trace larger than the limit can still exceed it.
    /// </summary>
    private TableOutcome CheckPartition(ITracePartitions partitions, int p, int level, CancellationToken cancellationToken)
    {
        var spans = partitions.SpansIn(p);
        if (spans <= _tableLimitSpans || level >= MaxSplits)
        {
            var rules = new TableRules(_options, spans);
            partitions.ReadPartition(p, rules, cancellationToken);
            return rules.Complete(_tracesOut);
        }

        using var split = new PartitionSpill(_options.EffectiveSpillDirectory, PartitionsFor(spans), level + 1);
        partitions.ReadPartition(p, split, cancellationToken);
        split.Flush();
        return TableOutcome.Merge([.. Enumerable.Range(0, split.Partitions).Select(q => CheckPartition(split, q, level + 1, cancellationToken))], _options.MaxExamples);
    }

    public void Dispose()
    {
        _stage.Dispose();
        _partitions?.Dispose();
    }

    /// <summary>What is held in memory reached the limit: it goes to partition files, and so does every span after it.</summary>
    private void MoveToSpill()
    {
        _stage.Finish();
        _stage.Dispose();
        // Traces are spread evenly, so if the spans so far filled the memory, the whole needs proportionally more.
        var expected = Math.Max(_options.ExpectedSpans ?? 0, 4 * _added);
        var spill = NewSpill(PartitionsFor(expected), expected);
        if (_inMemory is not null)
        {
            EnterInBatches(_inMemory.Drain(), spill);
        }
        else
        {
            // Memory partitions hand over their spans as pass 2 would read them: each trace's in input order.
            for (var p = 0; p < _partitions!.Partitions; p++)
                _partitions.ReadPartition(p, spill, CancellationToken.None);
        }

        _inMemory = null;
        _partitions = spill;
        _stage = new TableStage(spill);
    }

    private static void EnterInBatches(IEnumerable<PendingSpan> spans, PartitionSpill spill)
    {
        var batch = new PendingSpan[PartitionFile.RecordsPerBlock];
        var count = 0;
        foreach (var span in spans)
        {
            batch[count++] = span;
            if (count == batch.Length)
            {
                spill.Enter(batch);
                count = 0;
            }
        }

        spill.Enter(batch.AsSpan(0, count));
    }

    /// <summary>Enough partitions that each one's table takes at most half the limit, and is small enough to be fast.</summary>
    private int PartitionsFor(long spans)
    {
        var forMemory = (spans + (_tableLimitSpans / 2) - 1) / Math.Max(1, _tableLimitSpans / 2);
        return (int)Math.Clamp(Math.Max(forMemory, spans / SpansPerFastPartition), 2, MaxPartitions);
    }

    private PartitionSpill NewSpill(int partitions, long expectedSpans)
    {
        if (partitions is < 1 or > MaxPartitions)
            throw new ArgumentOutOfRangeException(nameof(partitions), partitions, $"partitions must be 1 to {MaxPartitions}");
        var directory = _options.EffectiveSpillDirectory;
        var needed = PartitionSpill.BytesFor(expectedSpans);
        var free = LocalDisk.FreeBytes(directory);
        if (free < needed)
            throw new IOException($"the spill directory {directory} has {free / (1 << 20):N0} MiB free; partitioned validation of about "
                + $"{expectedSpans:N0} spans needs {needed / (1 << 20):N0} MiB there (choose another spill directory, or raise the memory limit)");
        return new PartitionSpill(directory, partitions);
    }
}
