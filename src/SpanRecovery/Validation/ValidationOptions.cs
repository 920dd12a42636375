namespace SpanRecovery.Validation;

/// <summary>Knobs of the rule engine (docs/rules.md) and of its memory bound (docs/scale-out.md).</summary>
public sealed record ValidationOptions
{
    /// <summary>Spans longer than this get <c>duration-too-long</c>.</summary>
    public TimeSpan MaxDuration { get; init; } = TimeSpan.FromHours(24);

    /// <summary>
    /// How far a child may start before or end after its parent, and an event lie outside its span, before
    /// <c>child-starts-before-parent</c>, <c>child-ends-after-parent</c> and <c>event-outside-span</c> report it.
    /// </summary>
    public TimeSpan SkewTolerance { get; init; } = TimeSpan.Zero;

    /// <summary>Traces with more entered spans than this get <c>trace-too-large</c>.</summary>
    public int MaxTraceSpans { get; init; } = 10_000;

    /// <summary>Where one JSON line per trace with findings goes (<c>--traces-out</c>); null: nowhere. The caller owns the stream.</summary>
    public Stream? TracesOut { get; init; }

    /// <summary>Examples kept per rule in the report.</summary>
    public int MaxExamples { get; init; } = 10;

    /// <summary>
    /// Most memory the span table may take; beyond it the data set is partitioned by trace ID through spill
    /// files. Null: 60 % of what .NET says the process may use (physical memory, a container's limit or
    /// <c>DOTNET_GCHeapHardLimit</c>).
    /// </summary>
    public long? MemoryLimitBytes { get; init; }

    /// <summary>
    /// Forces partitioned validation into this many partitions (1 or more); 0 keeps one table in memory for as
    /// long as it fits the limit; null decides by memory and by size (large data sets are faster partitioned).
    /// </summary>
    public int? Partitions { get; init; }

    /// <summary>Where spill files go; null: the system temp directory.</summary>
    public string? SpillDirectory { get; init; }

    /// <summary>
    /// An estimate of the spans to come (<see cref="ArchiveValidation.EstimateSpans"/>): when their table would
    /// not fit, partitioning starts at once instead of when the table outgrows the limit.
    /// </summary>
    public long? ExpectedSpans { get; init; }

    /// <summary>
    /// From about this many expected spans, partitions held in memory are faster than one table even when the
    /// table fits: each partition's table stays small enough for the caches (measured: 1M spans 15 % faster,
    /// 5M 24 %; see the README's scale numbers).
    /// </summary>
    internal long FastPartitionsFromSpans { get; init; } = 500_000;

    /// <summary>
    /// Protobuf records are parsed on two cores in chunks of about this many bytes (<see cref="ParallelRecordParser"/>);
    /// a pipe buffer with less than two chunks' worth is parsed on the reading thread alone.
    /// </summary>
    internal int ParallelChunkBytes { get; init; } = 256 * 1024;

    /// <summary>Sees every finding with the span's location (repair's first pass); called from several threads.</summary>
    internal ISpanFindingObserver? FindingObserver { get; init; }

    /// <summary>The limit in effect.</summary>
    public long EffectiveMemoryLimitBytes => MemoryLimitBytes ?? (long)(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes * 0.6);

    /// <summary><see cref="SkewTolerance"/> in nanoseconds, saturated (a negative tolerance is none).</summary>
    internal ulong SkewToleranceNanos => SpanRules.Nanoseconds(SkewTolerance);

    internal string EffectiveSpillDirectory => SpillDirectory ?? Path.GetTempPath();
}
