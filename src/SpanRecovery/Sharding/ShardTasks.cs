using SpanRecovery.Storage;
using SpanRecovery.Validation;

namespace SpanRecovery.Sharding;

/// <summary>
/// The two passes of partitioned validation (docs/scale-out.md) as tasks of an existing engine — Kubernetes Indexed
/// Jobs, or local processes — sharing a work location. Every task writes its objects first and its result
/// LAST, so a task killed midway leaves no result and a task run twice overwrites its own objects with the
/// same content: retries and duplicates change nothing.
/// </summary>
internal static class ShardTasks
{
    /// <summary>Writes the plan: the inputs (files, directories, <c>s3://</c> objects or prefixes) split over map tasks.</summary>
    public static async Task<ShardPlan> PlanAsync(IObjectStore work, IEnumerable<string> inputs, int mapTasks, int partitions, ShardSettings settings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (mapTasks is < 1 or > ShardPlan.MaxTasks || partitions is < 1 or > PartitionFile.MaxPartitions)
            throw new ArgumentOutOfRangeException(nameof(mapTasks), $"map tasks must be 1 to {ShardPlan.MaxTasks}, partitions 1 to {PartitionFile.MaxPartitions}");
        var plan = ShardPlan.Create(await ShardInputs.ExpandAsync(inputs, cancellationToken), mapTasks, partitions, settings);
        await ShardObjects.WriteJsonAsync(work, ShardPlan.Key, plan, cancellationToken);
        return plan;
    }

    /// <summary>Map task <paramref name="task"/>: reads its inputs once, applies the single-span rules and writes one partition object per partition, then its result.</summary>
    public static async Task<MapResult> MapAsync(IObjectStore work, int task, string? spillDirectory = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        var plan = await ShardPlan.LoadAsync(work, cancellationToken);
        if (task < 0 || task >= plan.MapTasks)
            throw new ArgumentOutOfRangeException(nameof(task), task, $"the plan has map tasks 0 to {plan.MapTasks - 1}");
        var (first, inputs) = plan.InputsOf(task);
        var options = plan.Settings.Validation(plan.Partitions) with { SpillDirectory = spillDirectory };
        using var validator = new DataIntegrityValidator(options, first);
        var reader = plan.Settings.Reader();
        foreach (var input in inputs)
        {
            validator.BeginInput(input.Path, input.Bytes);
            validator.EndInput(await ShardInputs.ReadAsync(input.Path, validator, reader, cancellationToken));
        }

        var single = validator.FinishReading();
        var spill = validator.Tables.FinishSpill();
        for (var p = 0; p < plan.Partitions; p++)
            await spill.UploadAsync(p, stream => work.WriteAsync(ShardObjects.Partition(task, p), stream, cancellationToken));
        var result = MapResult.From(plan.Id, task, single, [.. Enumerable.Range(0, plan.Partitions).Select(spill.SpansIn)]);
        await ShardObjects.WriteJsonAsync(work, ShardObjects.MapDone(task), result, cancellationToken);
        return result;
    }

    /// <summary>Reduce task <paramref name="partition"/>: once every map task is done, checks its partition of all of them, in input order.</summary>
    public static async Task<ReduceResult> ReduceAsync(IObjectStore work, int partition, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        var plan = await ShardPlan.LoadAsync(work, cancellationToken);
        if (partition < 0 || partition >= plan.Partitions)
            throw new ArgumentOutOfRangeException(nameof(partition), partition, $"the plan has partitions 0 to {plan.Partitions - 1}");
        await ReadMapResultsAsync(work, plan, cancellationToken);
        var rules = new TableRules(plan.Settings.Validation());
        long spans = 0;
        // Map tasks hold consecutive inputs, so their partitions one after another are in input order.
        for (var task = 0; task < plan.MapTasks; task++)
        {
            var key = ShardObjects.Partition(task, partition);
            await using var stream = await work.OpenReadAsync(key, cancellationToken)
                ?? throw new ShardException($"{work.Describe(key)} is missing although map task {task} is done", ShardError.Damaged);
            try
            {
                spans += PartitionFile.ReadAll(stream, work.Describe(key), rules, cancellationToken);
            }
            catch (InvalidDataException e)
            {
                throw new ShardException(e.Message, ShardError.Damaged);
            }
        }

        using var traces = new MemoryStream();
        var result = ReduceResult.From(plan.Id, partition, spans, rules.Complete(new TraceLinesWriter(traces)));
        traces.Position = 0;
        await work.WriteAsync(ShardObjects.ReduceTraces(partition), traces, cancellationToken);
        await ShardObjects.WriteJsonAsync(work, ShardObjects.ReduceDone(partition), result, cancellationToken);
        return result;
    }

    /// <summary>The report <c>validate</c> would give, from every task's result; refuses missing tasks and spans that do not add up.</summary>
    /// <param name="tracesOut">Given every partition's traces with findings (<c>--traces-out</c>), when not null.</param>
    public static async Task<ValidationReport> MergeAsync(IObjectStore work, Stream? tracesOut = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        var started = DateTime.UtcNow;
        var plan = await ShardPlan.LoadAsync(work, cancellationToken);
        var maps = await ReadMapResultsAsync(work, plan, cancellationToken);
        var reduces = await ReadResultsAsync<ReduceResult>(work, plan, "reduce", plan.Partitions, ShardObjects.ReduceDone, cancellationToken);
        for (var p = 0; p < plan.Partitions; p++)
        {
            var written = maps.Sum(m => m.PartitionSpans[p]);
            if (reduces[p].Spans != written)
                throw new ShardException($"partition {p}: the map tasks wrote {written} key records, its reduce read {reduces[p].Spans}: rerun reduce {p}", ShardError.Damaged);
        }

        for (var p = 0; tracesOut is not null && p < plan.Partitions; p++)
        {
            var key = ShardObjects.ReduceTraces(p);
            await using var traces = await work.OpenReadAsync(key, cancellationToken)
                ?? throw new ShardException($"{work.Describe(key)} is missing although reduce {p} is done: rerun reduce {p}", ShardError.Damaged);
            await traces.CopyToAsync(tracesOut, cancellationToken);
        }

        var single = SinglePassOutcome.Concat([.. maps.Select(m => Trusted(work, ShardObjects.MapDone(m.Task), m.ToOutcome))], plan.Settings.MaxExamples);
        var table = TableOutcome.Merge(
            [.. reduces.Select((r, p) => Trusted(work, ShardObjects.ReduceDone(p), () => r.ToOutcome(plan.Inputs.Count)))], plan.Settings.MaxExamples);
        // The partition objects the map tasks wrote for the reduce tasks, as a one-machine run spills them to disk.
        var partitionBytes = maps.Sum(m => m.PartitionSpans.Sum(PartitionSpill.BytesFor));
        return single.ToReport(table, DateTime.UtcNow - started, plan.Partitions, partitionBytes);
    }

    /// <summary>
    /// Converts a task result, turning what a hand-edited or damaged one throws (bad hex, nulls, indexes out of
    /// range) into a <see cref="ShardException"/> that names the object.
    /// </summary>
    private static T Trusted<T>(IObjectStore work, string key, Func<T> convert)
    {
        try
        {
            return convert();
        }
        catch (Exception e) when (e is FormatException or ArgumentException or NullReferenceException or IndexOutOfRangeException or OverflowException)
        {
            throw new ShardException($"{work.Describe(key)} is damaged: {e.Message}; run its task again", ShardError.Damaged);
        }
    }

    /// <summary>Every result of one kind of task for this plan; one missing, or left by an earlier plan, is refused by number.</summary>
    private static async Task<T[]> ReadResultsAsync<T>(IObjectStore work, ShardPlan plan, string kind, int count, Func<int, string> key, CancellationToken cancellationToken)
        where T : class, IShardResult
    {
        var results = new T?[count];
        for (var i = 0; i < count; i++)
        {
            var result = await ShardObjects.ReadJsonAsync<T>(work, key(i), cancellationToken);
            results[i] = result?.PlanId == plan.Id ? result : null; // one of an earlier plan is as good as none
        }

        var missing = Enumerable.Range(0, count).Where(i => results[i] is null).ToList();
        if (missing.Count > 0)
            throw new ShardException($"{kind} tasks {Ranges(missing)} of {count} have not finished (no {key(missing[0])} in {work.Location})", ShardError.NotFound);
        return [.. results.Select(r => r!)];
    }

    private static async Task<MapResult[]> ReadMapResultsAsync(IObjectStore work, ShardPlan plan, CancellationToken cancellationToken)
    {
        var results = await ReadResultsAsync<MapResult>(work, plan, "map", plan.MapTasks, ShardObjects.MapDone, cancellationToken);
        for (var task = 0; task < plan.MapTasks; task++)
        {
            var result = results[task];
            var (first, inputs) = plan.InputsOf(task);
            if (result.Task != task || result.FirstInput != first || result.PartitionSpans is null || result.PartitionSpans.Count != plan.Partitions
                || result.PartitionSpans.Any(s => s < 0) || result.Inputs is null || result.Inputs.Count != inputs.Count || result.Inputs.Any(i => i is null)
                || result.Rules is null || result.Examples is null || result.Examples.Any(e => e is null || e.Input < first || e.Input >= first + inputs.Count))
                throw new ShardException($"{work.Describe(ShardObjects.MapDone(task))} does not match the plan; run map task {task} again", ShardError.Damaged);
        }

        return results;
    }

    /// <summary>"0-2, 5" for [0, 1, 2, 5].</summary>
    private static string Ranges(List<int> numbers)
    {
        var parts = new List<string>();
        for (var i = 0; i < numbers.Count;)
        {
            var j = i;
            while (j + 1 < numbers.Count && numbers[j + 1] == numbers[j] + 1)
                j++;
            parts.Add(i == j ? $"{numbers[i]}" : $"{numbers[i]}-{numbers[j]}");
            i = j + 1;
        }

        return string.Join(", ", parts);
    }
}
