using System.Diagnostics;
using System.IO.Pipelines;
using System.Runtime.ExceptionServices;
using SpanRecovery.Otlp;
using SpanRecovery.Repository;
using SpanRecovery.Validation;

namespace SpanRecovery.Restore;

/// <summary>
/// Restores trace archives from a repository (DESIGN §6): verify the chain → pre-hook (stop services) →
/// restore into staging or send to a backend → verify what was restored → switch into place → post-hook
/// (start services), which runs whether the restore succeeded or not.
/// </summary>
public sealed partial class RecoveryManager(BackupRepository repository, ReaderOptions? readerOptions = null, ValidationOptions? validationOptions = null)
{
    private const int CopyBufferSize = 1024 * 1024;

    private readonly ReaderOptions _readerOptions = readerOptions ?? new ReaderOptions();

    /// <summary>Rebuilds the source files as <paramref name="backupName"/>'s chain captured them, byte for byte.</summary>
    /// <param name="target">A directory (replaced only when everything succeeded) or an OTLP/HTTP base URL.</param>
    public Task<RecoveryResult> RestoreFromBackupAsync(string backupName, string target, RestoreOptions? options = null, CancellationToken cancellationToken = default) =>
        RestoreAsync(catalog => RestorePlan.ForBackup(catalog, backupName), target, options ?? new RestoreOptions(), cancellationToken);

    /// <summary>Restores every captured span that ended at or before the time, from the backups around it (DESIGN §6).</summary>
    public Task<RecoveryResult> RestoreToPointInTimeAsync(ulong pointInTimeUnixNano, string target, RestoreOptions? options = null, CancellationToken cancellationToken = default) =>
        RestoreAsync(catalog => RestorePlan.ForPointInTime(catalog, pointInTimeUnixNano), target, options ?? new RestoreOptions(), cancellationToken);

    /// <summary>Whether a restore target names an OTLP/HTTP backend rather than a directory.</summary>
    public static bool IsHttpTarget(string target) =>
        target.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || target.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    private async Task<RecoveryResult> RestoreAsync(Func<BackupCatalog, RestorePlan> plan, string target, RestoreOptions options, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var run = new Run(target);
        RecoveryResult? result = null;
        RecoveryException? failure = null;
        try
        {
            var chosen = plan(repository.ReadCatalog());
            run.Backups = [.. chosen.Backups.Select(b => b.Name)];
            if (!IsHttpTarget(target))
                RestoreTargetGuard.Check(target, repository, chosen.Backups.Select(b => b.Source));
            // Which segments make which file: a manifest that does not add up stops the restore here, before the pre-hook.
            var chains = new[] { chosen.Primary, chosen.Secondary }.Where(c => c.Count > 0).Select(c => ChainFile.Of(repository, c)).ToList();
            options.Progress?.AddTotal(chains.Sum(files => files.Sum(f => f.Length)));
            // From here `backups expire` leaves these backups alone; one it removed just before is missing below.
            using var reading = RepositoryReaders.Register(repository, run.Backups);
            var verification = new RestoreVerification();
            await VerifyChainAsync(chosen, verification, options, cancellationToken);
            if (options.PreHook is not null)
            {
                run.PreHookExit = await ServiceHook.RunAsync(options.PreHook, run.HookEnvironment("pre"), options.EffectiveHookTimeout, options.Log, cancellationToken);
                if (run.PreHookExit != 0)
                    throw new HookFailedException($"the pre-hook exited with {run.PreHookExit}; nothing was restored");
            }

            result = IsHttpTarget(target)
                ? await RestoreToBackendAsync(chosen, chains, new Uri(target), verification, options, cancellationToken)
                : await RestoreToDirectoryAsync(chosen, chains, target, verification, options, cancellationToken);
        }
        catch (RecoveryException e)
        {
            failure = e;
        }
        finally
        {
            // Services come back whatever happened, also after a failure or a cancelled restore; a refused
            // target stopped nothing, so there is nothing to start again.
            if (options.PostHook is not null && failure is not RestoreTargetRefusedException)
                run.PostHookExit = await ServiceHook.RunAsync(options.PostHook, run.HookEnvironment("post", succeeded: failure is null && result is not null), options.EffectiveHookTimeout, options.Log, CancellationToken.None);
        }

        if (failure is not null)
        {
            var partial = failure.Result ?? new RecoveryResult(run.Backups, 0, 0, 0, target, false, null, null);
            failure.Result = partial with { DurationSeconds = stopwatch.Elapsed.TotalSeconds, PreHookExit = run.PreHookExit, PostHookExit = run.PostHookExit };
            ExceptionDispatchInfo.Throw(failure);
        }

        return result! with { DurationSeconds = stopwatch.Elapsed.TotalSeconds, PreHookExit = run.PreHookExit, PostHookExit = run.PostHookExit };
    }

    /// <summary>
    /// Checksums of every segment and manifest link of the chains, before anything is touched. With
    /// <c>--force</c> the restore goes on, and the damage makes it unverified.
    /// </summary>
    private async Task VerifyChainAsync(RestorePlan plan, RestoreVerification verification, RestoreOptions options, CancellationToken cancellationToken)
    {
        var damaged = new List<Damage>();
        var heads = new[] { plan.Primary, plan.Secondary }.Where(c => c.Count > 0).Select(c => c[^1].Name);
        foreach (var head in heads)
            damaged.AddRange((await new BackupVerifier(repository).VerifyAsync(head, cancellationToken)).Damaged);
        if (damaged.Count == 0)
            return;
        var list = string.Join("; ", damaged.Select(d => $"{d.Path}: {d.Problem}"));
        if (!options.Force)
            throw new CorruptedBackupException($"the backup chain is damaged, nothing was restored (--force restores what can be read): {list}", damaged);
        verification.Expect(false, $"restored from a damaged chain (--force): {list}");
    }

    /// <summary>
    /// Reads a chain file's records into a restoring sink and returns the format it found; the bytes and the
    /// spans read (kept or not) must be what the manifests recorded. With <c>--force</c> a damaged segment
    /// ends its file early, and the format is null.
    /// </summary>
    private async Task<InputDescription?> ReadRecordsAsync(
        ChainFile file, RestoringRecordSink sink, RestoreVerification verification, RestoreOptions options, CancellationToken cancellationToken)
    {
        var stream = new ChainFileStream(file, options.Progress);
        var input = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: CopyBufferSize, leaveOpen: true));
        InputDescription? format;
        try
        {
            format = await TraceFileReader.ReadRecordsAsync(input, sink, _readerOptions, cancellationToken);
        }
        catch (CorruptedBackupException e) when (options.Force)
        {
            options.Log?.WriteLine($"spanrecovery: warning: {e.Message}; the records before the damage are restored (--force)");
            format = null;
        }
        finally
        {
            await stream.DisposeAsync();
        }

        // A file in no known format has no records to read (it is restored as captured, or cannot be sent).
        var readWhole = format is not { Framing: null } || file.Length == 0;
        verification.Expect((!readWhole || stream.BytesRead == file.Length) && sink.SpansRead == file.Spans && sink.DigestRead == file.SpanDigest,
            $"{file.Path}: read {stream.BytesRead} bytes and {sink.SpansRead} spans (digest {sink.DigestRead:x16}) from the backup, "
            + $"its manifests record {file.Length} bytes and {file.Spans} spans (digest {file.SpanDigest:x16})");
        return format;
    }

    /// <summary>A restored file's path under the staging directory; a manifest path never escapes it.</summary>
    private static string OutputPath(string directory, string relative)
    {
        var path = Path.GetFullPath(Path.Combine(directory, relative));
        if (!path.StartsWith(Path.GetFullPath(directory) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new CorruptedBackupException($"a manifest names the file '{relative}', which is outside the restore target", []);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return path;
    }

    /// <summary>What the hooks are told, and their exit codes.</summary>
    private sealed class Run(string target)
    {
        public IReadOnlyList<string> Backups { get; set; } = [];

        public int? PreHookExit { get; set; }

        public int? PostHookExit { get; set; }

        public Dictionary<string, string> HookEnvironment(string phase, bool succeeded = false)
        {
            var environment = new Dictionary<string, string>
            {
                ["SPANRECOVERY_PHASE"] = phase,
                ["SPANRECOVERY_TARGET"] = target,
                ["SPANRECOVERY_BACKUPS"] = string.Join(' ', Backups),
            };
            if (phase == "post")
                environment["SPANRECOVERY_OUTCOME"] = succeeded ? "success" : "failure";
            return environment;
        }
    }
}
