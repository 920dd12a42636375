using SpanRecovery.Otlp;
using SpanRecovery.Repository;
using SpanRecovery.Storage;
using SpanRecovery.Validation;

namespace SpanRecovery.Sharding;

/// <summary>One input of a sharded validation, named as every worker sees it, and the map task that reads it.</summary>
internal sealed record PlannedInput(string Path, long Bytes, int Task);

/// <summary>The settings every task must share, or their findings would not add up to one report.</summary>
internal sealed record ShardSettings(int MaxExamples, double MaxDurationSeconds, long MaxRecordBytes, string? Framing, long SkewToleranceTicks, int MaxTraceSpans)
{
    public static ShardSettings From(ValidationOptions validation, ReaderOptions reader) =>
        new(validation.MaxExamples, validation.MaxDuration.TotalSeconds, reader.MaxRecordBytes, reader.Framing?.Name(),
            validation.SkewTolerance.Ticks, validation.MaxTraceSpans);

    public ValidationOptions Validation(int? partitions = null) => new()
    {
        MaxExamples = MaxExamples,
        MaxDuration = TimeSpan.FromSeconds(MaxDurationSeconds),
        Partitions = partitions,
        SkewTolerance = TimeSpan.FromTicks(SkewToleranceTicks),
        MaxTraceSpans = MaxTraceSpans,
    };

    public ReaderOptions Reader() =>
        new() { MaxRecordBytes = MaxRecordBytes, Framing = Framing is not null && InputFormatNames.TryParseFraming(Framing, out var f) ? f : null };
}

/// <summary>
/// <c>W/plan.json</c> (docs/scale-out.md): the inputs in data-set order, split into <see cref="MapTasks"/> runs of
/// consecutive files of about equal size, and the number of trace-ID partitions. Consecutive runs keep
/// input order across tasks, which the duplicate rule and the examples depend on. Every task result carries
/// the plan's <see cref="Id"/>, so results left in the work location by an earlier plan are never merged.
/// </summary>
internal sealed record ShardPlan(string Format, int Version, string Id, IReadOnlyList<PlannedInput> Inputs, int MapTasks, int Partitions, ShardSettings Settings)
{
    public const string FormatId = "spanrecovery-shard-plan";
    public const string Key = "plan.json";
    public const int MaxTasks = 10_000;

    public static ShardPlan Create(IReadOnlyList<(string Path, long Bytes)> inputs, int mapTasks, int partitions, ShardSettings settings)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(mapTasks, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        var tasks = Math.Max(1, Math.Min(mapTasks, inputs.Count));
        var total = Math.Max(1, inputs.Sum(i => i.Bytes));
        var planned = new List<PlannedInput>();
        long before = 0;
        var task = 0;
        for (var i = 0; i < inputs.Count; i++)
        {
            // Move on once this task has its share, but leave at least one file for every later task.
            if (task < tasks - 1 && planned.Count > 0 && planned[^1].Task == task
                && (before * tasks >= (task + 1) * total || inputs.Count - i <= tasks - 1 - task))
                task++;
            planned.Add(new PlannedInput(inputs[i].Path, inputs[i].Bytes, task));
            before += inputs[i].Bytes;
        }

        return new ShardPlan(FormatId, 1, Guid.NewGuid().ToString("N"), planned, tasks, partitions, settings);
    }

    /// <summary>The data-set index of task <paramref name="task"/>'s first input, and its inputs.</summary>
    public (int First, IReadOnlyList<PlannedInput> Inputs) InputsOf(int task)
    {
        var first = Inputs.TakeWhile(i => i.Task < task).Count();
        return (first, [.. Inputs.Where(i => i.Task == task)]);
    }

    public static async Task<ShardPlan> LoadAsync(IObjectStore work, CancellationToken cancellationToken)
    {
        var plan = await ShardObjects.ReadJsonAsync<ShardPlan>(work, Key, cancellationToken)
            ?? throw new ShardException($"{work.Describe(Key)} does not exist: the work has not been planned", ShardError.NotFound);
        if (plan.Format != FormatId || string.IsNullOrEmpty(plan.Id) || plan.Inputs is null || plan.Settings is not { } s
            || plan.MapTasks is < 1 or > MaxTasks || plan.Partitions is < 1 or > PartitionFile.MaxPartitions
            || plan.Inputs.Any(i => i?.Path is null || i.Task < 0 || i.Task >= plan.MapTasks)
            || plan.Inputs.Zip(plan.Inputs.Skip(1)).Any(p => p.Second.Task < p.First.Task)
            || s.MaxExamples < 0 || !double.IsFinite(s.MaxDurationSeconds) || s.MaxDurationSeconds is < 0 or > 3.2e9 || s.MaxRecordBytes is < 1 or > int.MaxValue
            || s.SkewToleranceTicks < 0 || s.MaxTraceSpans < 1)
            throw new ShardException($"{work.Describe(Key)} is not a valid shard plan", ShardError.Damaged);
        return plan;
    }
}
