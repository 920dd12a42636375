namespace SpanRecovery.Validation;

/// <summary>
/// Trace-ID partitions held in memory, for data sets that fit the memory limit but make one table slow (it
/// outgrows the caches): the same partitions as <see cref="PartitionSpill"/>, without encoding, checksums or
/// files, since the spans never leave the process. Each partition is released as pass 2 reads it.
/// </summary>
internal sealed class MemoryPartitions : ITracePartitions
{
    // 2048 spans (160 KB) a chunk: a partition of about 25k spans wastes at most one chunk's tail.
    private const int ChunkSpans = 2048;

    private readonly List<PendingSpan[]>[] _chunks;
    private readonly int[] _filled;
    private readonly long[] _spans;

    public MemoryPartitions(int partitions)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        _chunks = [.. Enumerable.Range(0, partitions).Select(_ => new List<PendingSpan[]>())];
        _filled = new int[partitions];
        _spans = new long[partitions];
    }

    public int Partitions => _chunks.Length;

    public long Bytes => 0;

    public long SpansIn(int p) => _spans[p];

    public void Enter(ReadOnlySpan<PendingSpan> batch)
    {
        foreach (ref readonly var span in batch)
        {
            var p = PartitionFile.PartitionOf(span.TraceId, _chunks.Length);
            var chunks = _chunks[p];
            if (chunks.Count == 0 || _filled[p] == ChunkSpans)
            {
                // Uninitialized: every span is written before it is read.
                chunks.Add(GC.AllocateUninitializedArray<PendingSpan>(ChunkSpans));
                _filled[p] = 0;
            }

            chunks[^1][_filled[p]++] = span;
            _spans[p]++;
        }
    }

    public void ReadPartition(int p, ISpanBatchTarget target, CancellationToken cancellationToken)
    {
        var chunks = _chunks[p];
        _chunks[p] = []; // its memory goes once pass 2 is done with it
        for (var i = 0; i < chunks.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            target.Enter(chunks[i].AsSpan(0, i == chunks.Count - 1 ? _filled[p] : ChunkSpans));
        }
    }

    /// <summary>Nothing to release: the chunks are ordinary memory.</summary>
    public void Dispose()
    {
    }
}
