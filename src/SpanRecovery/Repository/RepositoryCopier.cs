using System.Security.Cryptography;
using SpanRecovery.Restore;

namespace SpanRecovery.Repository;

/// <summary>A backup <c>repo copy</c> did not copy: its own damage, or the backup it depends on that was not copied.</summary>
public sealed record CopyProblem(string Name, string Problem);

/// <summary>
/// The outcome of <c>repo copy</c>: backups copied, skipped (already in the destination, manifest bytes equal),
/// damaged (a source segment or manifest failed its check, or the destination holds a different backup of
/// that name) and not copied (a backup they depend on was not, or the source expired them meanwhile). Ok when
/// nothing was damaged.
/// </summary>
public sealed record CopyResult(
    string Source,
    string Destination,
    bool Initialized,
    IReadOnlyList<string> Copied,
    IReadOnlyList<string> Skipped,
    IReadOnlyList<CopyProblem> Damaged,
    IReadOnlyList<CopyProblem> NotCopied)
{
    /// <summary>Nothing damaged was met.</summary>
    public bool Ok => Damaged.Count == 0;
}

/// <summary>
/// Brings a second repository up to date with a first one (the "copies" of 3-2-1, docs/repository.md). The destination
/// is created with the source's strategy when missing and locked while written; the source is only read, and
/// only its committed backups (those with a manifest). Backups go oldest first so parents come before children.
/// Each segment is copied to a temp name, flushed to disk, checked against the source manifest's size and
/// sha256 and renamed into place; the manifest — the source's bytes, so the hash chain holds — is written last
/// and atomically. A backup exists in the destination iff its manifest is there, so a rerun after an
/// interruption resumes: intact segments already in a debris directory are kept, the rest copied again.
/// </summary>
/// <remarks>
/// An encrypted repository is copied as stored, ciphertext and all, into one with the same master key (a new
/// destination gets the source's key slots): objects are bound to their path within the repository, which a
/// copy keeps, so they open there as they did in the source.
/// </remarks>
public sealed class RepositoryCopier(BackupRepository source, string destinationPath)
{
    private const int CopyBufferBytes = 1 << 20;

    /// <summary>The repository copied from.</summary>
    public BackupRepository Source { get; } = source;

    /// <summary>Copies every committed backup the destination lacks; see the class remarks.</summary>
    public CopyResult Copy(CancellationToken cancellationToken = default) => CopyAsync(null, cancellationToken).GetAwaiter().GetResult();

    /// <param name="progress">Stored bytes of the segments to copy and copied so far, for a progress display.</param>
    internal async Task<CopyResult> CopyAsync(RestoreProgress? progress, CancellationToken cancellationToken)
    {
        using (var destinationStore = Storage.ObjectStores.Open(destinationPath))
        {
            if (destinationStore.Describe("").TrimEnd('/') == Source.Store.Describe("").TrimEnd('/'))
                throw new RepositoryException(RepositoryError.InvalidRepository, $"cannot copy repository {Source.Path} onto itself");
        }

        Source.RequireKey(); // an encrypted source's manifests are read to know what to copy
        var initialized = !await BackupRepository.ExistsAsync(destinationPath, cancellationToken);
        var destination = initialized
            ? await BackupRepository.InitCopyOfAsync(destinationPath, Source, cancellationToken)
            : await BackupRepository.OpenAsync(destinationPath, null, cancellationToken);
        destination.ShareKeyOf(Source);

        await using var writerLock = await RepositoryLock.AcquireAsync(destination, cancellationToken);
        var copied = new List<string>();
        var skipped = new List<string>();
        var damaged = new List<CopyProblem>();
        var notCopied = new List<CopyProblem>();
        var missing = new HashSet<string>(StringComparer.Ordinal);

        var sourceBackups = await ReadSourceManifestsAsync(cancellationToken);
        progress?.AddTotal(sourceBackups.Sum(b => b.Manifest?.Totals.StoredBytes ?? 0));
        foreach (var (name, manifestBytes, manifest, readProblem) in sourceBackups)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (manifest is null)
            {
                damaged.Add(new CopyProblem(name, readProblem!));
                missing.Add(name);
                continue;
            }

            if (manifest.Parent is { } parent && missing.Contains(parent))
            {
                notCopied.Add(new CopyProblem(name, $"depends on {parent}, which was not copied"));
                missing.Add(name);
                continue;
            }

            if (await destination.HasManifestAsync(name, cancellationToken))
            {
                if ((await destination.ReadManifestBytesAsync(name, cancellationToken)).AsSpan().SequenceEqual(manifestBytes))
                {
                    skipped.Add(name);
                    progress?.Add(manifest.Totals.StoredBytes);
                }
                else
                {
                    damaged.Add(new CopyProblem(name, $"the destination already holds a different backup named {name}"));
                    missing.Add(name);
                }

                continue;
            }

            var problem = await CheckParentAsync(destination, manifest, cancellationToken) ?? await CopyBackupAsync(destination, manifest, progress, cancellationToken);
            if (problem is not null)
            {
                // A backup expired from the source while we copied it is gone, not damaged.
                if (await Source.HasManifestAsync(name, cancellationToken))
                    damaged.Add(new CopyProblem(name, problem));
                else
                    notCopied.Add(new CopyProblem(name, "removed from the source during the copy"));
                missing.Add(name);
                await TryDeleteAsync(destination, name);
                continue;
            }

            // The commit point in the destination: the source's manifest bytes, so the hash chain holds, written last.
            await destination.CommitAsync(manifest, manifestBytes, cancellationToken);
            copied.Add(name);
        }

        await destination.RemoveDebrisAsync(cancellationToken);
        return new CopyResult(Source.Path, destination.Path, initialized, copied, skipped, damaged, notCopied);
    }

    private sealed record SourceBackup(string Name, byte[] Bytes, BackupManifest? Manifest, string? Problem);

    /// <summary>The source's committed backups, oldest first (creation time, then name); unreadable manifests last.</summary>
    private async Task<List<SourceBackup>> ReadSourceManifestsAsync(CancellationToken cancellationToken)
    {
        var backups = new List<SourceBackup>();
        foreach (var name in await Source.CommittedNamesAsync(cancellationToken))
        {
            try
            {
                var bytes = await Source.ReadManifestBytesAsync(name, cancellationToken);
                backups.Add(new SourceBackup(name, bytes, BackupManifest.Parse(Source.ManifestJson(name, bytes), name), null));
            }
            catch (RepositoryException)
            {
                // expired from the source while we listed it
            }
            catch (InvalidDataException e)
            {
                backups.Add(new SourceBackup(name, [], null, $"unreadable manifest: {e.Message}"));
            }
        }

        return [.. backups.OrderBy(b => b.Manifest is null).ThenBy(b => b.Manifest?.Created).ThenBy(b => b.Name, StringComparer.Ordinal)];
    }

    /// <summary>A child is committed only on top of its parent's exact manifest, as <c>backups verify</c> checks.</summary>
    private static async Task<string?> CheckParentAsync(BackupRepository destination, BackupManifest manifest, CancellationToken cancellationToken) =>
        await BackupCatalog.CheckParentLinkAsync(destination, manifest, cancellationToken) switch
        {
            ParentLink.ParentMissing => $"its parent {manifest.Parent} is not in the source repository",
            ParentLink.ParentChanged => $"the sha256 of parent manifest {manifest.Parent} does not match the parentManifestSha256 it records: the chain is broken",
            _ => null,
        };

    /// <summary>
    /// Copies every segment of one backup into the destination, each checked on its way against the source
    /// manifest's size and sha256 before it is committed; returns the first problem, or null. Segments an
    /// interrupted copy already committed and that still match are kept.
    /// </summary>
    private async Task<string?> CopyBackupAsync(BackupRepository destination, BackupManifest manifest, RestoreProgress? progress, CancellationToken cancellationToken)
    {
        var present = (await destination.Store.ListAsync(BackupRepository.BackupPrefix(manifest.Name), cancellationToken))
            .ToDictionary(o => o.Key, o => o.Bytes, StringComparer.Ordinal);
        // Debris of an interrupted copy: keep what belongs to this backup, drop the rest (unfinished writes).
        var expected = manifest.Segments.Select(s => BackupRepository.SegmentKey(manifest.Name, s.Name)).ToHashSet(StringComparer.Ordinal);
        foreach (var stray in present.Keys.Where(k => !expected.Contains(k)))
            await destination.Store.DeleteAsync(stray, cancellationToken);
        foreach (var segment in manifest.Segments)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var key = BackupRepository.SegmentKey(manifest.Name, segment.Name);
            var already = present.TryGetValue(key, out var bytes) && bytes == segment.StoredBytes && await MatchesAsync(destination, manifest.Name, segment, cancellationToken);
            if (!already && await CopySegmentAsync(destination, manifest.Name, segment, cancellationToken) is { } problem)
                return $"segment {key}{problem}";
            progress?.Add(segment.StoredBytes);
        }

        return null;
    }

    /// <summary>One segment, streamed from the source into the destination and committed only when it matches.</summary>
    private async Task<string?> CopySegmentAsync(BackupRepository destination, string backup, SegmentInfo segment, CancellationToken cancellationToken)
    {
        Stream? input;
        try
        {
            input = await Source.OpenSegmentAsync(backup, segment.Name, cancellationToken);
        }
        catch (InvalidDataException e)
        {
            return $": {e.Message}";
        }

        if (input is null)
            return " is missing in the source";
        await using (input)
        {
            await using var output = await destination.CreateSegmentAsync(backup, segment.Name, cancellationToken);
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[CopyBufferBytes];
            try
            {
                int read;
                while ((read = await input.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }
            }
            catch (InvalidDataException e)
            {
                return $": {e.Message}";
            }

            if (output.Length != segment.StoredBytes || Convert.ToHexStringLower(hash.GetHashAndReset()) != segment.Sha256)
                return ": size or sha256 does not match the source manifest";
            await output.CommitAsync(cancellationToken);
        }

        return null;
    }

    private static async Task<bool> MatchesAsync(BackupRepository repository, string backup, SegmentInfo segment, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = await repository.OpenSegmentAsync(backup, segment.Name, cancellationToken);
            return stream is not null && stream.Length == segment.StoredBytes
                && Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken)) == segment.Sha256;
        }
        catch (InvalidDataException)
        {
            return false;
        }
    }

    private static async Task TryDeleteAsync(BackupRepository destination, string name)
    {
        try
        {
            await destination.Store.DeletePrefixAsync(BackupRepository.BackupPrefix(name), CancellationToken.None);
        }
        catch (IOException)
        {
            // Left as debris without a manifest; the next writer removes it.
        }
    }
}
