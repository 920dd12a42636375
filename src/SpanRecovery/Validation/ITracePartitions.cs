namespace SpanRecovery.Validation;

/// <summary>
/// Pass 1's output in partitioned validation: each span sorted into one of R partitions by its trace ID, so
/// that every trace is whole in one partition and pass 2 can check each with a table of its own.
/// </summary>
internal interface ITracePartitions : ISpanBatchTarget, IDisposable
{
    int Partitions { get; }

    /// <summary>Bytes written to disk for them (0 in memory).</summary>
    long Bytes { get; }

    /// <summary>Spans entered into partition <paramref name="p"/>.</summary>
    long SpansIn(int p);

    /// <summary>Hands partition <paramref name="p"/>'s spans to <paramref name="target"/> in input order; each partition is read once, from any thread.</summary>
    void ReadPartition(int p, ISpanBatchTarget target, CancellationToken cancellationToken);
}
