using System.Diagnostics;
using System.Globalization;
using SpanRecovery.Otlp;
using SpanRecovery.Sharding;
using SpanRecovery.Storage;
using SpanRecovery.Validation;

namespace SpanRecovery.Cli;

/// <summary>
/// <c>validate --workers N</c>: the cluster's code path on one machine — plan, then every map task and every
/// reduce task as a separate <c>spanrecovery shard</c> process, N at a time, over a temporary work directory,
/// then merge. A failed task fails the run with the task's own message.
/// </summary>
internal static class LocalWorkers
{
    public static async Task<ValidationReport> ValidateAsync(
        IReadOnlyList<string> paths, int workers, ValidationOptions validation, ReaderOptions reader, CancellationToken cancellationToken)
    {
        var directory = Path.Combine(validation.EffectiveSpillDirectory, $"spanrecovery-work-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            using var work = new DirectoryObjectStore(directory);
            var plan = await ShardTasks.PlanAsync(work, paths, workers, ReducePartitions(paths, workers, validation), ShardSettings.From(validation, reader), cancellationToken);
            await RunAllAsync("map", "--task", plan.MapTasks, directory, workers, cancellationToken,
                validation.SpillDirectory is { } spill ? ["--spill-dir", spill] : []);
            await RunAllAsync("reduce", "--partition", plan.Partitions, directory, workers, cancellationToken);
            return await ShardTasks.MergeAsync(work, validation.TracesOut, cancellationToken);
        }
        finally
        {
            if (Directory.Exists(directory))
                Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// <c>--partitions</c> when given. Else at least 4 per worker, so that the reduce tasks share the work evenly,
    /// and enough that N of them at a time, each holding the table of one partition, stay within the memory
    /// limit together (the table's size estimated from the inputs' sizes, as <c>validate</c> does).
    /// </summary>
    internal static int ReducePartitions(IReadOnlyList<string> paths, int workers, ValidationOptions validation)
    {
        if (validation.Partitions is > 0 and var forced)
            return forced;
        var perTask = Math.Max(1, validation.EffectiveMemoryLimitBytes / workers);
        var tableBytes = ArchiveValidation.EstimateSpans(ArchiveValidation.ExpandInputs(paths)) * TraceTables.TableBytesPerSpan;
        return (int)Math.Clamp(Math.Max(4L * workers, (tableBytes + perTask - 1) / perTask), 1, PartitionFile.MaxPartitions);
    }

    private static async Task RunAllAsync(string kind, string option, int tasks, string work, int workers, CancellationToken cancellationToken, string[]? extra = null)
    {
        using var slots = new SemaphoreSlim(workers);
        var runs = Enumerable.Range(0, tasks).Select(async index =>
        {
            await slots.WaitAsync(cancellationToken);
            try
            {
                await RunAsync(["shard", kind, "--work", work, option, index.ToString(CultureInfo.InvariantCulture), .. extra ?? []], cancellationToken);
            }
            finally
            {
                slots.Release();
            }
        });
        await Task.WhenAll(runs);
    }

    private static async Task RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // Under `dotnet spanrecovery.dll` the process is dotnet; the tool itself is the entry assembly.
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "spanrecovery.dll"));
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new IOException("could not start a worker process");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        await stdout;
        if (process.ExitCode != 0)
            throw new ShardException($"worker 'spanrecovery {string.Join(' ', args)}' failed (exit {process.ExitCode}): {(await stderr).Trim()}", ShardError.Damaged);
    }
}
