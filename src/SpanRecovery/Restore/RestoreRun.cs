using System.Diagnostics;
using System.IO.Pipelines;
using System.Runtime.ExceptionServices;
using SpanRecovery.Otlp;
using SpanRecovery.Repository;
using SpanRecovery.Storage;
using SpanRecovery.Validation;

namespace SpanRecovery.Restore;

/// <summary>
/// One restore (docs/restore.md): the plan and the files of its chains, the options, which spans it keeps, and the
/// verification that collects whatever does not add up. <see cref="ExecuteAsync"/> runs it: refuse a target it
/// must not touch → verify the chain's checksums (with <c>--shift-time now</c>, read the chains for the newest
/// end time) → pre-hook (stop services) → deliver every file to the target, its times shifted if asked,
/// which then verifies what it holds (a directory is switched into place only then) → post-hook (start
/// services), which runs whether the restore succeeded or not.
/// </summary>
internal sealed class RestoreRun
{
    private const int PipeBufferSize = 1024 * 1024;

    private RestoreRun(BackupRepository repository, RestorePlan plan, RestoreOptions options, ReaderOptions readerOptions, ValidationOptions? validationOptions)
    {
        Repository = repository;
        Plan = plan;
        Options = options;
        ReaderOptions = readerOptions;
        Validation = new SpanRuleTally(validationOptions);
        // Which segments make which file: a manifest that does not add up stops the restore here, before the pre-hook.
        Chains = [.. new[] { plan.Primary, plan.Secondary }.Where(c => c.Count > 0).Select(c => FilesOf(repository, c))];
        Selection = NewSelection();
        options.Progress?.AddTotal(Chains.Sum(files => files.Sum(f => f.Length)));
    }

    public BackupRepository Repository { get; }

    private static IReadOnlyList<ChainFile> FilesOf(BackupRepository repository, IReadOnlyList<BackupManifest> chain)
    {
        var (files, problem) = ChainFile.Of(repository, chain);
        return problem is null ? files : throw new CorruptedBackupException(problem, []);
    }

    public RestorePlan Plan { get; }

    public RestoreOptions Options { get; }

    public ReaderOptions ReaderOptions { get; }

    /// <summary>The files of the primary chain's last backup, then (point in time) of the secondary chain's.</summary>
    public IReadOnlyList<IReadOnlyList<ChainFile>> Chains { get; }

    public RestoreVerification Verification { get; } = new();

    /// <summary>Validation of the spans the target holds (copied, written or sent), which may find no error the backups did not record.</summary>
    public SpanRuleTally Validation { get; }

    /// <summary>Spans <see cref="ReadRecordsAsync"/> left out: they ended after the time, or were restored from the other chain.</summary>
    public long SpansDropped { get; private set; }

    public IReadOnlyList<string> BackupNames => [.. Plan.Backups.Select(b => b.Name)];

    /// <summary>
    /// Whether files are written record by record (a point in time, or shifted times) rather than copied byte
    /// for byte as captured.
    /// </summary>
    public bool RewritesRecords => Plan.PointInTimeUnixNano is not null || Options.ShiftTime is not null;

    /// <summary>
    /// The offset added to every restored time, in nanoseconds: set when the delivery starts (<c>--shift-time
    /// now</c> from <see cref="_newestEnd"/>); a target resuming an interrupted restore may set the offset that
    /// restore used instead, so one restore never mixes two offsets.
    /// </summary>
    public long ShiftNanos { get; set; }

    private SpanSelection Selection { get; }

    /// <summary><c>--shift-time now</c>: the latest end time of the spans this restore keeps (null: none has one).</summary>
    private ulong? _newestEnd;

    /// <summary>
    /// Runs the restore that <paramref name="plan"/> chooses from the repository's catalog into <paramref name="target"/>,
    /// which is disposed as soon as the delivery ends (before the post-hook). A <see cref="RecoveryException"/> carries
    /// the result as far as the restore got.
    /// </summary>
    public static async Task<RecoveryResult> ExecuteAsync(
        BackupRepository repository, Func<BackupCatalog, RestorePlan> plan, IRestoreTarget target, RestoreOptions options,
        ReaderOptions readerOptions, ValidationOptions? validationOptions, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        IReadOnlyList<string> backups = [];
        int? preHookExit = null, postHookExit = null;
        RecoveryResult? result = null;
        RecoveryException? failure = null;
        try
        {
            var chosen = plan(await repository.ReadCatalogAsync(cancellationToken));
            backups = [.. chosen.Backups.Select(b => b.Name)];
            target.Check(repository, chosen);
            var run = new RestoreRun(repository, chosen, options, readerOptions, validationOptions);
            // From here `backups expire` leaves these backups alone; one it removed just before is missing below.
            using var reading = await RepositoryReaders.RegisterAsync(repository, backups, cancellationToken);
            await run.VerifyChainAsync(cancellationToken);
            if (options.ShiftTime is { IsToNow: true })
                await run.FindNewestEndAsync(cancellationToken);
            if (options.PreHook is not null)
            {
                preHookExit = await ServiceHook.RunAsync(options.PreHook, HookEnvironment("pre", target.Name, backups), options.EffectiveHookTimeout, options.Log, cancellationToken);
                if (preHookExit != 0)
                    throw new HookFailedException($"the pre-hook exited with {preHookExit}; nothing was restored");
            }

            await using (target)
                result = await run.DeliverAsync(target, cancellationToken);
        }
        catch (RecoveryException e)
        {
            failure = e;
        }
        catch (DamagedSegmentException e)
        {
            failure = new CorruptedBackupException(e.Message, []); // found while reading, past the checksum gate (--force)
        }
        catch (OutputWriteException e)
        {
            failure = new TargetWriteFailedException($"{e.Message}; nothing was switched into place, the target was left as it was", e);
        }
        finally
        {
            // Services come back whatever happened, also after a failure or a cancelled restore; a refused
            // target stopped nothing, so there is nothing to start again.
            if (options.PostHook is not null && failure is not RestoreTargetRefusedException)
            {
                var environment = HookEnvironment("post", target.Name, backups, succeeded: failure is null && result is not null);
                postHookExit = await ServiceHook.RunAsync(options.PostHook, environment, options.EffectiveHookTimeout, options.Log, CancellationToken.None);
            }
        }

        if (failure is not null)
        {
            var partial = failure.Result ?? new RecoveryResult(backups, 0, 0, 0, target.Name, false, null, null);
            failure.Result = partial with { DurationSeconds = stopwatch.Elapsed.TotalSeconds, PreHookExit = preHookExit, PostHookExit = postHookExit };
            ExceptionDispatchInfo.Throw(failure);
        }

        return result! with { DurationSeconds = stopwatch.Elapsed.TotalSeconds, PreHookExit = preHookExit, PostHookExit = postHookExit };
    }

    /// <summary>
    /// Reads a chain file's records into <paramref name="output"/>, without the spans the run leaves out, and
    /// returns the format it found. The bytes and the spans read (kept or not) must be what the manifests
    /// recorded. With <c>--force</c> a damaged segment ends its file early, and the format is null.
    /// </summary>
    /// <param name="kept">Tallies the spans kept.</param>
    public async Task<InputDescription?> ReadRecordsAsync(ChainFile file, IRecordOutput output, SegmentSpanTally kept, CancellationToken cancellationToken)
    {
        var sink = new RestoringRecordSink(file.Path, output, Selection, kept, ShiftNanos, Options.Log);
        var (format, bytesRead) = await ReadAsync(file, sink, Options.Log, cancellationToken);

        // A file in no known format has no records to read (it is restored as captured, or cannot be sent).
        var readWhole = format is not { Framing: null } || file.Length == 0;
        Verification.Expect((!readWhole || bytesRead == file.Length) && sink.SpansRead == file.Spans && sink.DigestRead == file.SpanDigest,
            $"{file.Path}: read {bytesRead} bytes and {sink.SpansRead} spans (digest {sink.DigestRead:x16}) from the backup, "
            + $"its manifests record {file.Length} bytes and {file.Spans} spans (digest {file.SpanDigest:x16})");
        SpansDropped += sink.SpansDropped;
        return format;
    }

    /// <summary>Reads a chain file's records into <paramref name="sink"/>; the format is null when --force ended it at a damaged segment.</summary>
    private async Task<(InputDescription? Format, long BytesRead)> ReadAsync(ChainFile file, RestoringRecordSink sink, TextWriter? log, CancellationToken cancellationToken)
    {
        var stream = new ChainFileStream(file, ChainFileCopy.Progress(Options));
        var input = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: PipeBufferSize, leaveOpen: true));
        try
        {
            return (await TraceFileReader.ReadRecordsAsync(input, sink, ReaderOptions, cancellationToken), stream.BytesRead);
        }
        catch (DamagedSegmentException e) when (Options.Force)
        {
            log?.WriteLine($"warning: {e.Message}; the records before the damage are restored (forced)");
            return (null, stream.BytesRead);
        }
        finally
        {
            await stream.DisposeAsync();
        }
    }

    /// <summary>
    /// <c>--shift-time now</c>: reads the chains once before anything is touched, keeping exactly the spans the
    /// restore will keep (the same selection, the same records left out), for the newest end time among them.
    /// </summary>
    private async Task FindNewestEndAsync(CancellationToken cancellationToken)
    {
        Options.Progress?.AddTotal(Chains.Sum(files => files.Sum(f => f.Length)));
        var selection = NewSelection();
        var kept = new SegmentSpanTally(null);
        for (var chain = 0; chain < Chains.Count; chain++)
        {
            selection.ReadingSecondChain = chain > 0;
            foreach (var file in Chains[chain].Where(f => f.LinkTarget is null))
                await ReadAsync(file, new RestoringRecordSink(file.Path, DiscardedRecords.Instance, selection, kept, 0, log: null), log: null, cancellationToken);
        }

        _newestEnd = kept.MaxEnd > 0 ? kept.MaxEnd : null;
    }

    /// <summary>The offset that makes the newest kept span end now, held within what a signed offset can say.</summary>
    private long OffsetToNow()
    {
        if (_newestEnd is not { } newest)
            return 0;
        var offset = (Int128)RestorePlan.UnixNano(DateTime.UtcNow) - newest;
        return offset < long.MinValue ? long.MinValue : offset > long.MaxValue ? long.MaxValue : (long)offset;
    }

    private SpanSelection NewSelection() =>
        Plan.PointInTimeUnixNano is { } time ? SpanSelection.EndedBy(time, secondChain: Chains.Count > 1) : SpanSelection.All();

    /// <summary>
    /// Checksums of every segment and manifest link of the chains, before anything is touched. With
    /// <c>--force</c> the restore goes on, and the damage makes it unverified.
    /// </summary>
    private async Task VerifyChainAsync(CancellationToken cancellationToken)
    {
        var damaged = new List<Damage>();
        var heads = new[] { Plan.Primary, Plan.Secondary }.Where(c => c.Count > 0).Select(c => c[^1].Name);
        foreach (var head in heads)
            damaged.AddRange((await new BackupVerifier(Repository).VerifyAsync(head, cancellationToken)).Damaged);
        if (damaged.Count == 0)
            return;
        var list = string.Join("; ", damaged.Select(d => $"{d.Path}: {d.Problem}"));
        if (!Options.Force)
            throw new CorruptedBackupException($"the backup chain is damaged, nothing was restored: {list}", damaged);
        Verification.Expect(false, $"restored from a damaged chain (forced): {list}");
    }

    /// <summary>
    /// Every file of the chains to the target, chain by chain: the point-in-time selection remembers the spans
    /// the first chain restored, so the second adds only the others.
    /// </summary>
    private async Task<RecoveryResult> DeliverAsync(IRestoreTarget target, CancellationToken cancellationToken)
    {
        ShiftNanos = Options.ShiftTime is { IsToNow: true } ? OffsetToNow() : Options.ShiftTime?.OffsetNanos ?? 0;
        target.Open(this, cancellationToken);
        for (var chain = 0; chain < Chains.Count; chain++)
        {
            Selection.ReadingSecondChain = chain > 0;
            foreach (var file in Chains[chain].Where(f => f.LinkTarget is null))
                await target.DeliverAsync(this, file, cancellationToken);
        }

        return await target.FinishAsync(this, cancellationToken);
    }

    /// <summary>What the hooks are told (see <see cref="ServiceHook"/>).</summary>
    private static Dictionary<string, string> HookEnvironment(string phase, string target, IReadOnlyList<string> backups, bool succeeded = false)
    {
        var environment = new Dictionary<string, string>
        {
            ["SPANRECOVERY_PHASE"] = phase,
            ["SPANRECOVERY_TARGET"] = target,
            ["SPANRECOVERY_BACKUPS"] = string.Join(' ', backups),
        };
        if (phase == "post")
            environment["SPANRECOVERY_OUTCOME"] = succeeded ? "success" : "failure";
        return environment;
    }

    /// <summary>Where the records go while <see cref="FindNewestEndAsync"/> only looks at their spans.</summary>
    private sealed class DiscardedRecords : IRecordOutput
    {
        public static readonly DiscardedRecords Instance = new();

        public void OnFormat(InputDescription format)
        {
        }

        public void Write(ReadOnlySpan<byte> record, RecordEncoding encoding)
        {
        }
    }
}
