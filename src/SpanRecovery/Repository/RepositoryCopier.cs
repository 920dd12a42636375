using System.Security.Cryptography;

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
    public CopyResult Copy(CancellationToken cancellationToken = default)
    {
        var destinationFull = Path.GetFullPath(destinationPath);
        if (string.Equals(destinationFull.TrimEnd(Path.DirectorySeparatorChar), Source.Path.TrimEnd(Path.DirectorySeparatorChar), StringComparison.Ordinal))
            throw new RepositoryException(RepositoryError.InvalidRepository, $"cannot copy repository {Source.Path} onto itself");
        var initialized = !File.Exists(Path.Combine(destinationFull, "repo.json"));
        Source.RequireKey(); // an encrypted source's manifests are read to know what to copy
        var destination = initialized ? BackupRepository.InitCopyOf(destinationFull, Source) : BackupRepository.Open(destinationFull);
        destination.ShareKeyOf(Source);

        using var writerLock = RepositoryLock.Acquire(destination);
        var copied = new List<string>();
        var skipped = new List<string>();
        var damaged = new List<CopyProblem>();
        var notCopied = new List<CopyProblem>();
        var missing = new HashSet<string>(StringComparer.Ordinal);

        foreach (var (name, manifestBytes, manifest, readProblem) in ReadSourceManifests())
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

            var destinationManifest = destination.ManifestPath(name);
            if (File.Exists(destinationManifest))
            {
                if (File.ReadAllBytes(destinationManifest).AsSpan().SequenceEqual(manifestBytes))
                {
                    skipped.Add(name);
                }
                else
                {
                    damaged.Add(new CopyProblem(name, $"the destination already holds a different backup named {name}"));
                    missing.Add(name);
                }

                continue;
            }

            var problem = CheckParent(destination, manifest) ?? CopyBackup(destination, manifest, cancellationToken);
            if (problem is not null)
            {
                // A backup expired from the source while we copied it is gone, not damaged.
                if (File.Exists(Source.ManifestPath(name)))
                    damaged.Add(new CopyProblem(name, problem));
                else
                    notCopied.Add(new CopyProblem(name, "removed from the source during the copy"));
                missing.Add(name);
                TryDelete(destination.BackupDirectory(name));
                continue;
            }

            // The commit point in the destination: the source's manifest bytes, temp + fsync + rename.
            destination.Commit(manifest, manifestBytes);
            copied.Add(name);
        }

        destination.RemoveDebris();
        return new CopyResult(Source.Path, destination.Path, initialized, copied, skipped, damaged, notCopied);
    }

    private sealed record SourceBackup(string Name, byte[] Bytes, BackupManifest? Manifest, string? Problem);

    /// <summary>The source's committed backups, oldest first (creation time, then name); unreadable manifests last.</summary>
    private List<SourceBackup> ReadSourceManifests()
    {
        var backups = new List<SourceBackup>();
        foreach (var name in Source.CommittedNames())
        {
            try
            {
                var bytes = Source.ReadManifestBytes(name);
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
    private static string? CheckParent(BackupRepository destination, BackupManifest manifest) => BackupCatalog.CheckParentLink(destination, manifest) switch
    {
        ParentLink.ParentMissing => $"its parent {manifest.Parent} is not in the source repository",
        ParentLink.ParentChanged => $"the sha256 of parent manifest {manifest.Parent} does not match the parentManifestSha256 it records: the chain is broken",
        _ => null,
    };

    /// <summary>Copies and checks every segment of one backup into the destination; returns the first problem, or null.</summary>
    private string? CopyBackup(BackupRepository destination, BackupManifest manifest, CancellationToken cancellationToken)
    {
        var targetDirectory = destination.BackupDirectory(manifest.Name);
        Directory.CreateDirectory(targetDirectory);
        var expected = manifest.Segments.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        // Debris of an interrupted copy: keep what belongs to this backup, drop the rest (temp files).
        foreach (var file in Directory.EnumerateFiles(targetDirectory).ToList())
        {
            if (!expected.Contains(Path.GetFileName(file)))
                File.Delete(file);
        }

        foreach (var segment in manifest.Segments)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var target = destination.SegmentPath(manifest.Name, segment.Name);
            if (File.Exists(target) && Matches(target, segment))
                continue;

            var sourcePath = Source.SegmentPath(manifest.Name, segment.Name);
            if (!File.Exists(sourcePath))
                return $"segment backups/{manifest.Name}/{segment.Name} is missing in the source";
            if (new FileInfo(sourcePath).LinkTarget is not null)
                return $"segment backups/{manifest.Name}/{segment.Name} is a symbolic link, not a stored segment";
            var temp = target + ".tmp";
            using (var input = new FileStream(sourcePath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0))
            using (var output = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0))
            {
                input.CopyTo(output, CopyBufferBytes);
                output.Flush(flushToDisk: true);
            }

            if (!Matches(temp, segment))
            {
                File.Delete(temp);
                return $"segment backups/{manifest.Name}/{segment.Name}: size or sha256 does not match the source manifest";
            }

            File.Move(temp, target, overwrite: true);
        }

        return null;
    }

    private static bool Matches(string path, SegmentInfo segment)
    {
        if (new FileInfo(path).Length != segment.StoredBytes)
            return false;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
        return Convert.ToHexStringLower(SHA256.HashData(stream)) == segment.Sha256;
    }

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
                Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // Left as debris without a manifest; the next writer removes it.
        }
    }
}
