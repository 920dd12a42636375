using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.IO.Pipelines;
using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
using System.Text;
using SpanRecovery.Otlp;
using SpanRecovery.Repository;
using SpanRecovery.Validation;

namespace SpanRecovery.Restore;

/// <summary>
/// Restores trace archives from a repository (DESIGN §6): verify the chain → pre-hook (stop services) →
/// restore into staging or send to a backend → verify what was restored → switch into place → post-hook
/// (start services), which runs whether the restore succeeded or not.
/// </summary>
public sealed class RecoveryManager(BackupRepository repository, ReaderOptions? readerOptions = null, ValidationOptions? validationOptions = null)
{
    private const int CopyBufferSize = 1024 * 1024;

    private readonly ReaderOptions _readerOptions = readerOptions ?? new ReaderOptions();

    /// <summary>Rebuilds the source files as <paramref name="backupName"/>'s chain captured them, byte for byte.</summary>
    /// <param name="target">A directory (replaced only when everything succeeded) or an OTLP/HTTP base URL.</param>
    public Task<RecoveryResult> RestoreFromBackupAsync(string backupName, string target, RestoreOptions? options = null, CancellationToken cancellationToken = default) =>
        RestoreAsync(manifests => RestorePlan.ForBackup(manifests, backupName), target, options ?? new RestoreOptions(), cancellationToken);

    /// <summary>Restores every captured span that ended at or before the time, from the backups around it (DESIGN §6).</summary>
    public Task<RecoveryResult> RestoreToPointInTimeAsync(ulong pointInTimeUnixNano, string target, RestoreOptions? options = null, CancellationToken cancellationToken = default) =>
        RestoreAsync(manifests => RestorePlan.ForPointInTime(manifests, pointInTimeUnixNano), target, options ?? new RestoreOptions(), cancellationToken);

    /// <summary>Whether a restore target names an OTLP/HTTP backend rather than a directory.</summary>
    public static bool IsHttpTarget(string target) =>
        target.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || target.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    private async Task<RecoveryResult> RestoreAsync(Func<IReadOnlyList<BackupManifest>, RestorePlan> plan, string target, RestoreOptions options, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var run = new Run(target);
        RecoveryResult? result = null;
        RecoveryException? failure = null;
        try
        {
            if (!IsHttpTarget(target) && File.Exists(target))
                throw new IOException($"the restore target {Path.GetFullPath(target)} is a file, not a directory");
            var chosen = plan(new BackupManager(repository).ListManifests());
            run.Backups = [.. chosen.Backups.Select(b => b.Name)];
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
            // Services come back whatever happened, also after a failure or a cancelled restore.
            if (options.PostHook is not null)
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
    /// Restores into a staging directory beside the target and switches it into place when verification
    /// passed (or, with <c>--force</c>, whatever it found).
    /// </summary>
    private async Task<RecoveryResult> RestoreToDirectoryAsync(
        RestorePlan plan, List<IReadOnlyList<ChainFile>> chains, string target, RestoreVerification verification, RestoreOptions options, CancellationToken cancellationToken)
    {
        using var staging = StagingDirectory.Create(target);
        var restored = plan.PointInTimeUnixNano is { } time
            ? await WritePointInTimeAsync(chains, time, staging.Path, verification, options, cancellationToken)
            : await CopyChainAsync(chains[0], staging.Path, verification, options, cancellationToken);
        verification.ExpectNoNewErrors(restored.Validation, plan.Backups);
        if (!verification.Ok && !options.Force)
            throw new VerificationFailedException($"the restored data does not match the backups, the target was left as it was: {string.Join("; ", verification.Problems)}");
        foreach (var problem in verification.Problems)
            options.Log?.WriteLine($"spanrecovery: warning: {problem}");
        staging.Commit();
        return new RecoveryResult([.. plan.Backups.Select(b => b.Name)], restored.Spans, restored.Bytes, 0, Path.GetFullPath(target), verification.Ok, null, null,
            restored.Files, restored.SpansDropped);
    }

    private sealed record Restored(int Files, long Spans, long Bytes, long SpansDropped, SpanRuleTally Validation);

    /// <summary>
    /// Whole backup: each file is its segments decompressed and concatenated, and must come out with the
    /// sha256 and the span count and digest its manifests recorded.
    /// </summary>
    private async Task<Restored> CopyChainAsync(IReadOnlyList<ChainFile> files, string directory, RestoreVerification verification, RestoreOptions options, CancellationToken cancellationToken)
    {
        var tally = new SpanRuleTally(validationOptions);
        var sink = new SegmentSpanSink(tally);
        long spans = 0, bytes = 0;
        foreach (var file in files)
        {
            sink.Reset();
            var (written, sha256) = await CopyFileAsync(file, OutputPath(directory, file.Path), sink, options, cancellationToken);
            verification.Expect(written == file.Length && sha256 == file.Sha256,
                $"{file.Path}: restored {written} bytes with sha256 {sha256}, the backup captured {file.Length} bytes with sha256 {file.Sha256}");
            verification.Expect(sink.Spans == file.Spans && sink.Digest == file.SpanDigest,
                $"{file.Path}: restored {sink.Spans} spans (digest {sink.Digest:x16}), the backup recorded {file.Spans} (digest {file.SpanDigest:x16})");
            spans += sink.Spans;
            bytes += written;
        }

        return new Restored(files.Count, spans, bytes, 0, tally);
    }

    /// <summary>
    /// Decompresses a chain file into <paramref name="path"/> on this thread, while the same chunks are
    /// hashed on another and parsed into <paramref name="sink"/> on a third: the checks are of exactly the
    /// bytes written, and cost no time on the thread that writes them.
    /// </summary>
    private async Task<(long Written, string Sha256)> CopyFileAsync(ChainFile file, string path, SegmentSpanSink sink, RestoreOptions options, CancellationToken cancellationToken)
    {
        var reader = BackgroundReader.Start(sink, _readerOptions, cancellationToken);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        // Two buffers: one is hashed while the next chunk is decompressed into the other.
        byte[][] buffers = [ArrayPool<byte>.Shared.Rent(CopyBufferSize), ArrayPool<byte>.Shared.Rent(CopyBufferSize)];
        var hashing = Task.CompletedTask;
        long written = 0;
        try
        {
            await using (var output = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0))
            await using (var input = new ChainFileStream(file, options.Progress))
            {
                for (var turn = 0; ; turn ^= 1)
                {
                    var buffer = buffers[turn];
                    var read = ReadOrReport(input, buffer, options);
                    if (read == 0)
                        break;
                    await reader.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                    await hashing;
                    hashing = Task.Run(() => hash.AppendData(buffer, 0, read), cancellationToken);
                    await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                    written += read;
                }

                await hashing;
                output.Flush(flushToDisk: true);
            }

            await reader.CompleteAsync();
        }
        catch (Exception e)
        {
            await hashing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await reader.FailAsync(e);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffers[0]);
            ArrayPool<byte>.Shared.Return(buffers[1]);
        }

        return (written, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    /// <summary>Reads decompressed bytes; with <c>--force</c> a damaged segment ends its file early instead of the restore.</summary>
    private static int ReadOrReport(ChainFileStream input, byte[] buffer, RestoreOptions options)
    {
        try
        {
            return input.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false); // whole chunks: fewer hand-offs
        }
        catch (CorruptedBackupException e) when (options.Force)
        {
            options.Log?.WriteLine($"spanrecovery: warning: {e.Message}; the file is restored up to there (--force)");
            return 0;
        }
    }

    /// <summary>
    /// Point in time: every file of the chain(s) is read record by record and written in its own format
    /// without the spans that ended after the time; the second chain adds only spans the first did not
    /// restore, appended to the same file when the path is the same. Then the written files are read back
    /// and must hold exactly the spans kept.
    /// </summary>
    private async Task<Restored> WritePointInTimeAsync(
        List<IReadOnlyList<ChainFile>> chains, ulong time, string directory, RestoreVerification verification, RestoreOptions options, CancellationToken cancellationToken)
    {
        var selection = SpanSelection.EndedBy(time, secondChain: chains.Count > 1);
        var kept = new SegmentSpanSink(null);
        long dropped = 0;
        var paths = new SortedSet<string>(StringComparer.Ordinal);
        for (var chain = 0; chain < chains.Count; chain++)
        {
            selection.ReadingSecondChain = chain > 0;
            foreach (var file in chains[chain])
            {
                var path = OutputPath(directory, file.Path);
                var output = new ArchiveFileOutput(path);
                var sink = new RestoringRecordSink(file.Path, output, selection, kept, options.Log);
                InputDescription? format;
                await using (output)
                    format = await ReadRecordsAsync(file, sink, verification, options, cancellationToken);
                if (format is { Framing: null } && file.Length > 0 && !File.Exists(path))
                    await CopyUnreadableAsync(file, path, options, cancellationToken);
                dropped += sink.SpansDropped;
                if (File.Exists(path))
                    paths.Add(file.Path);
            }
        }

        var tally = new SpanRuleTally(validationOptions);
        var reread = new SegmentSpanSink(tally);
        long bytes = 0;
        foreach (var path in paths)
        {
            var full = OutputPath(directory, path);
            await TraceFileReader.ReadFileAsync(full, reread, _readerOptions, cancellationToken: cancellationToken);
            bytes += new FileInfo(full).Length;
        }

        verification.Expect(reread.Spans == kept.Spans && reread.Digest == kept.Digest,
            $"the restored files hold {reread.Spans} spans (digest {reread.Digest:x16}), the restore kept {kept.Spans} (digest {kept.Digest:x16})");
        return new Restored(paths.Count, kept.Spans, bytes, dropped, tally);
    }

    /// <summary>
    /// Sends the chain's spans (all, or those ended by the time) to an OTLP/HTTP backend, with a resume
    /// journal in the repository so a rerun after an interruption skips what the backend acknowledged.
    /// </summary>
    private async Task<RecoveryResult> RestoreToBackendAsync(
        RestorePlan plan, List<IReadOnlyList<ChainFile>> chains, Uri endpoint, RestoreVerification verification, RestoreOptions options, CancellationToken cancellationToken)
    {
        var http = options.Http ?? new OtlpHttpOptions();
        var names = plan.Backups.Select(b => b.Name).ToList();
        var key = string.Join('|', endpoint.AbsoluteUri, string.Join(',', names), plan.PointInTimeUnixNano?.ToString(CultureInfo.InvariantCulture) ?? "all", http.MaxBatchBytes);
        var journal = JournalPath(key, options);

        var selection = plan.PointInTimeUnixNano is { } time ? SpanSelection.EndedBy(time, secondChain: chains.Count > 1) : SpanSelection.All();
        var tally = new SpanRuleTally(validationOptions);
        var kept = new SegmentSpanSink(tally);
        long dropped = 0;
        var files = 0;
        OtlpDeliveryResult delivery;
        await using (var target = new OtlpHttpTarget(endpoint, http, journal, key, log: options.Log))
        {
            var output = new HttpRecordOutput(target, cancellationToken);
            for (var chain = 0; chain < chains.Count; chain++)
            {
                selection.ReadingSecondChain = chain > 0;
                foreach (var file in chains[chain])
                {
                    var sink = new RestoringRecordSink(file.Path, output, selection, kept, options.Log);
                    if (await ReadRecordsAsync(file, sink, verification, options, cancellationToken) is { Framing: null } && file.Length > 0)
                        options.Log?.WriteLine($"spanrecovery: warning: {file.Path} is in no known trace format; not sent");
                    dropped += sink.SpansDropped;
                    files++;
                }
            }

            delivery = await target.CompleteAsync(cancellationToken);
        }

        verification.Expect(delivery.Complete, $"{delivery.Failures.Count} batches were not delivered: {string.Join("; ", delivery.Failures)}");
        verification.Expect(delivery.SpansSent + delivery.SpansSkipped == kept.Spans,
            $"{delivery.SpansSent + delivery.SpansSkipped} spans were sent or acknowledged before, {kept.Spans} were read");
        verification.Expect(delivery.SpansRejected == 0, $"the backend rejected {delivery.SpansRejected} spans (partial success)");
        verification.ExpectNoNewErrors(tally, plan.Backups);
        var result = new RecoveryResult(names, kept.Spans, delivery.BytesSent, 0, endpoint.AbsoluteUri, verification.Ok, null, null, files, dropped, delivery);
        if (!verification.Ok)
            throw new VerificationFailedException($"the restore to {endpoint} is incomplete: {string.Join("; ", verification.Problems)}") { Result = result };
        return result;
    }

    /// <summary>
    /// A captured file in no known format has no spans to select; it is restored as it was rather than lost
    /// (the backup recorded it as unreadable).
    /// </summary>
    private static async Task CopyUnreadableAsync(ChainFile file, string path, RestoreOptions options, CancellationToken cancellationToken)
    {
        options.Log?.WriteLine($"spanrecovery: warning: {file.Path} is in no known trace format; restored as captured");
        await using var input = new ChainFileStream(file, options.Progress);
        await using var output = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        await input.CopyToAsync(output, cancellationToken);
    }

    /// <summary>
    /// The resume journal of one restore (target, backups, time, batch size) in <c>REPO/restore-journals/</c>;
    /// null, with a warning, when the repository cannot be written (a read-only copy): the restore then runs
    /// without resume.
    /// </summary>
    private string? JournalPath(string key, RestoreOptions options)
    {
        var directory = Path.Combine(repository.Path, "restore-journals");
        try
        {
            Directory.CreateDirectory(directory);
            var path = Path.Combine(directory, $"{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..16]}.journal");
            File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite).Dispose();
            return path;
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            options.Log?.WriteLine($"spanrecovery: warning: no resume journal ({e.Message}); an interrupted restore will send everything again");
            return null;
        }
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
