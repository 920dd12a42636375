using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;
using SpanRecovery.Otlp;
using SpanRecovery.Validation;

namespace SpanRecovery.Repository;

/// <summary>
/// Creates, lists and verifies the backups of one repository (docs/repository.md). Creating takes the repository
/// lock, captures each source file append-aware into zstd segments, validates what it captured and commits
/// by writing the manifest last.
/// </summary>
/// <param name="timeProvider">The clock backup names and creation times come from (tests pass a fake one); the system clock by default.</param>
public sealed class BackupManager(
    BackupRepository repository, ReaderOptions? readerOptions = null, ValidationOptions? validationOptions = null, TimeProvider? timeProvider = null)
{
    private const string StampFormat = "yyyyMMdd-HHmmss";

    private readonly ReaderOptions _readerOptions = readerOptions ?? new ReaderOptions();
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    /// <summary>The repository the backups go to.</summary>
    public BackupRepository Repository { get; } = repository;

    /// <summary>Committed backups, oldest first.</summary>
    public IReadOnlyList<BackupMetadata> ListBackups() => [.. ListManifests().Select(m => ToMetadataAsync(m, CancellationToken.None).GetAwaiter().GetResult())];

    /// <summary>Manifests of the intact committed backups, oldest first (creation time, then name); damaged ones are skipped with a warning.</summary>
    public IReadOnlyList<BackupManifest> ListManifests() => Repository.ReadCatalogAsync().GetAwaiter().GetResult().Intact;

    /// <summary>One backup's manifest; a damaged one is an <see cref="InvalidDataException"/> naming the backup.</summary>
    public BackupManifest ReadManifest(string name)
    {
        try
        {
            return Repository.ReadManifestAsync(name).GetAwaiter().GetResult();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"backup {name}: {e.Message}", e);
        }
    }

    /// <summary>The backup in brief; <see cref="BackupMetadata.Size"/> is what the backup's objects hold in the store.</summary>
    internal async Task<BackupMetadata> ToMetadataAsync(BackupManifest manifest, CancellationToken cancellationToken)
    {
        var size = (await Repository.Store.ListAsync(BackupRepository.BackupPrefix(manifest.Name), cancellationToken)).Sum(o => o.Bytes);
        return new BackupMetadata(manifest.Name, Repository.BackupDirectory(manifest.Name), manifest.Created, manifest.BackupType, size);
    }

    /// <summary>
    /// A warning when the newest backup is older than the strategy's interval (a schedule that stopped
    /// running); null when it is recent enough or there is no backup yet.
    /// </summary>
    internal string? OverdueWarning(IReadOnlyList<BackupManifest> manifests, DateTime utcNow)
    {
        if (manifests.Count == 0)
            return null;
        var newest = manifests.MaxBy(m => m.Created)!;
        var age = utcNow - newest.Created;
        return age <= Repository.Strategy.Interval ? null
            : $"the newest backup {newest.Name} is {age.TotalHours:0.#} h old, older than the {Repository.Strategy.Name} strategy's interval of {Repository.Strategy.Interval.TotalHours:0.#} h";
    }

    /// <summary>Checks every segment's sha256 and the manifest hash chain of one backup's chain, or of all.</summary>
    /// <param name="deep">Also re-read and re-validate every segment's spans and compare counts, times and digests with the manifest.</param>
    public Task<VerificationResult> VerifyAsync(string? name = null, bool deep = false, CancellationToken cancellationToken = default) =>
        new BackupVerifier(Repository, deep ? _readerOptions : null, validationOptions).VerifyAsync(name, cancellationToken);

    /// <summary>
    /// Backs up <paramref name="source"/> (a directory). Without a type: full when the repository has no
    /// backup, else the strategy's type; an incremental or differential asked for in an empty repository
    /// becomes a full, since it would have no base.
    /// </summary>
    public async Task<BackupResult> CreateBackupAsync(string source, BackupType? type = null, CancellationToken cancellationToken = default)
    {
        var stopwatch = Stopwatch.StartNew();
        var sourceDirectory = Path.GetFullPath(source);
        if (!Directory.Exists(sourceDirectory))
            throw new RepositoryException(RepositoryError.SourceNotFound, $"source directory {sourceDirectory} does not exist");

        Repository.RequireKey(); // before the lock: an encrypted repository without its key gets nothing written
        await using var writerLock = await RepositoryLock.AcquireAsync(Repository, cancellationToken);
        await Repository.RemoveDebrisAsync(cancellationToken);
        var catalog = await Repository.ReadCatalogAsync(cancellationToken);
        var existing = catalog.Intact;
        var latest = existing.Count == 0 ? null : existing[^1];
        var resolved = latest is null ? BackupType.Full : type ?? Repository.Strategy.Type;
        var parent = resolved switch
        {
            BackupType.Full => null,
            BackupType.Incremental => latest,
            _ => existing.Last(m => m.BackupType == BackupType.Full),
        };

        var created = await NextTimestampAsync(existing, cancellationToken);
        var stamp = created.ToString(StampFormat, CultureInfo.InvariantCulture);
        var name = parent is null ? $"{stamp}{resolved.Suffix()}" : $"{catalog.RootOf(parent).Name}_{stamp}{resolved.Suffix()}";
        try
        {
            var capture = await CaptureAllAsync(sourceDirectory, name, parent, cancellationToken);
            var (segments, validation) = (capture.Segments, capture.Validation);
            var manifest = new BackupManifest(
                BackupManifest.FormatId, BackupManifest.CurrentVersion, name, resolved.Name(), created, sourceDirectory,
                parent?.Name,
                parent is null ? null : await BackupCatalog.ManifestSha256Async(Repository, parent.Name, cancellationToken),
                capture.Files, segments, validation,
                new BackupTotals(segments.Sum(s => s.Spans), segments.Sum(s => s.SourceBytes), segments.Sum(s => s.StoredBytes)));
            // The commit point: before the manifest is there the backup does not exist, after it it is complete.
            await Repository.CommitAsync(manifest, Repository.StoredManifest(manifest), cancellationToken);
            return new BackupResult(await ToMetadataAsync(manifest, cancellationToken), manifest, stopwatch.Elapsed, capture.Skipped);
        }
        catch
        {
            await TryDeleteAsync(name);
            throw;
        }
    }

    /// <summary>
    /// Creation time at second resolution, later than every existing backup so names stay unique and sort
    /// in time order; within the same second as the newest backup, waits for the next second.
    /// </summary>
    private async Task<DateTime> NextTimestampAsync(IReadOnlyList<BackupManifest> existing, CancellationToken cancellationToken)
    {
        var newest = existing.Count == 0 ? DateTime.MinValue : existing.Max(m => m.Created);
        while (true)
        {
            var now = _time.GetUtcNow().UtcDateTime;
            // Waiting for a clock that went back would never end; names must keep sorting in time order.
            if (newest > now.AddSeconds(2))
                throw new RepositoryException(RepositoryError.InvalidRepository,
                    $"the newest backup was created at {newest:yyyy-MM-ddTHH:mm:ssZ}, after the current time {now:yyyy-MM-ddTHH:mm:ssZ}: check the system clock");
            var second = new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);
            var stamp = second.ToString(StampFormat, CultureInfo.InvariantCulture);
            if (second > newest && !existing.Any(m => m.Name.Contains(stamp, StringComparison.Ordinal)))
                return second;
            await Task.Delay(TimeSpan.FromTicks(TimeSpan.TicksPerSecond - now.Ticks % TimeSpan.TicksPerSecond) + TimeSpan.FromMilliseconds(5), _time, cancellationToken);
        }
    }

    private sealed record Capture(List<FileState> Files, List<SegmentInfo> Segments, ValidationSummary Validation, List<SkippedEntry> Skipped);

    /// <summary>A source file that changed under the capture in a way its captured bytes cannot stand for.</summary>
    private sealed class SourceFileFailed(string path, string reason) : Exception(reason)
    {
        /// <summary>The file in <see cref="SourcePath"/>'s text form, to leave out of the next attempt.</summary>
        public string Path { get; } = path;

        public SkippedEntry Entry { get; } = new(SourcePath.Display(path), reason);
    }

    /// <summary>
    /// Captures the source; a file that fails midway (it shrank, a read failed) is left out and the capture
    /// starts again without it, since its spans are already in the validation that the manifest records.
    /// </summary>
    private async Task<Capture> CaptureAllAsync(string sourceDirectory, string backupName, BackupManifest? parent, CancellationToken cancellationToken)
    {
        var failed = new List<SourceFileFailed>();
        while (true)
        {
            try
            {
                var capture = await CaptureFilesAsync(sourceDirectory, backupName, parent, [.. failed.Select(f => f.Path)], cancellationToken);
                capture.Skipped.AddRange(failed.Select(f => f.Entry));
                capture.Skipped.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
                return capture;
            }
            catch (SourceFileFailed e)
            {
                failed.Add(e);
                await Repository.Store.DeletePrefixAsync(BackupRepository.BackupPrefix(backupName), cancellationToken);
            }
        }
    }

    /// <summary>
    /// Append-aware capture (docs/repository.md): a file whose captured prefix [0, E) in the base is unchanged
    /// contributes [E, end of its last complete record); a new, rewritten or shorter file is captured from 0.
    /// Each captured range is read once: the same chunks are compressed into the segment and validated (on
    /// another core) as part of one data set, collecting each segment's span count, time range and digest.
    /// Findings are recorded, never fatal.
    /// </summary>
    private async Task<Capture> CaptureFilesAsync(
        string sourceDirectory, string backupName, BackupManifest? parent, HashSet<string> leftOut, CancellationToken cancellationToken)
    {
        var baseStates = (parent?.Files ?? []).ToDictionary(f => f.Path, StringComparer.Ordinal);
        // A repository inside the source must not back itself up (its segments grow while we read them).
        var (relativePaths, links, skipped) = SourceTree.Walk(sourceDirectory, Repository.LocalDirectory);
        // A full backup reads every file whole, so their sizes tell about how many spans to make room for.
        var expected = parent is null ? ArchiveValidation.EstimateSpans(
            relativePaths.Where(p => !SourcePath.HasRawBytes(p)).Select(p => $"{sourceDirectory.TrimEnd('/')}/{p}")) : (long?)null;
        using var validator = new DataIntegrityValidator((validationOptions ?? new ValidationOptions()) with { ExpectedSpans = expected });
        var sink = new SegmentSpanTally(validator);
        var files = new List<FileState>();
        var segments = new List<SegmentInfo>();
        foreach (var relative in relativePaths.Where(p => !leftOut.Contains(p)))
        {
            cancellationToken.ThrowIfCancellationRequested();
            SafeFileHandle handle;
            try
            {
                handle = SourceFiles.OpenRead($"{sourceDirectory.TrimEnd('/')}/{relative}");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                skipped.Add(new SkippedEntry(SourcePath.Display(relative), $"not readable: {e.Message}")); // vanished or unreadable
                continue;
            }

            using var owned = handle;
            var length = RandomAccess.GetLength(handle);
            var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            try
            {
                long start = 0;
                // Only a file whose records we can see is captured by its new records: those are read on their
                // own, in the file's framing, exactly as they continue it. Any other file that changed is captured whole.
                var framing = RecordBoundary.AppendableFraming(handle, _readerOptions.MaxRecordBytes);
                if (baseStates.TryGetValue(relative, out var state) && length >= state.CaptureEnd && framing is not null)
                {
                    SegmentWriter.HashRange(handle, 0, state.CaptureEnd, hash, cancellationToken);
                    if (Convert.ToHexStringLower(hash.GetCurrentHash()) == state.PrefixSha256)
                    {
                        start = state.CaptureEnd;
                    }
                    else
                    {
                        hash.Dispose();
                        hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                    }
                }

                var end = RecordBoundary.CompleteEnd(handle, start, length, _readerOptions.MaxRecordBytes);
                string? segmentName = null;
                if (end > start)
                {
                    segmentName = $"{segments.Count + 1:D4}.seg.zst";
                    sink.Reset();
                    validator.BeginInput(SourcePath.Display(relative), end - start);
                    var (stored, sha, description) = await SegmentWriter.WriteAndReadAsync(
                        handle, start, end, Repository, backupName, segmentName, hash, sink, _readerOptions with { Framing = start > 0 ? framing : _readerOptions.Framing }, cancellationToken);
                    validator.EndInput(description);
                    segments.Add(new SegmentInfo(segmentName, relative, end - start, stored, sha,
                        sink.Spans, sink.Spans == 0 ? 0 : sink.MinStart, sink.MaxEnd, sink.Digest.ToString("x16", CultureInfo.InvariantCulture)));
                }

                files.Add(new FileState(relative, start, end, Convert.ToHexStringLower(hash.GetHashAndReset()), segmentName));
            }
            catch (SourceChangedException e)
            {
                throw new SourceFileFailed(relative, e.Message);
            }
            finally
            {
                hash.Dispose();
            }
        }

        files.AddRange(links.Select(link => FileState.Link(link.Path, link.Target)));
        files.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return new Capture(files, segments, Summarize(validator.Complete(cancellationToken)), skipped);
    }

    /// <summary>
    /// The manifest's validation summary. Rules keep docs/rules.md ids only; captured inputs that could not be
    /// read at all (no known format) are counted apart and also as errors.
    /// </summary>
    internal static ValidationSummary Summarize(ValidationReport report)
    {
        var unreadable = report.Inputs.Count(i => i.Error is not null);
        var rules = report.RuleCounts.ToDictionary(r => r.Key.Id(), r => r.Value, StringComparer.Ordinal);
        var totals = report.Totals;
        return new ValidationSummary(totals.Spans, totals.Traces, totals.InvalidSpans, totals.Errors + unreadable, totals.Warnings, rules, unreadable);
    }

    private async Task TryDeleteAsync(string name)
    {
        try
        {
            await Repository.Store.DeletePrefixAsync(BackupRepository.BackupPrefix(name), CancellationToken.None);
        }
        catch (IOException)
        {
            // Left as debris; the next writer removes it.
        }
    }
}
