using SpanRecovery.Repository;

namespace SpanRecovery.Restore;

/// <summary>
/// Refuses directory targets that a restore would destroy something through (docs/restore.md): the switch into
/// place replaces the whole target, so a target that is, holds or lies inside the repository would delete
/// backups, and one that holds the backed-up source would replace far more than the source.
/// </summary>
internal static class RestoreTargetGuard
{
    /// <summary>
    /// Whether <paramref name="path"/> or one of its ancestors is the very directory <paramref name="other"/>
    /// is, by device and inode: a second mount of the same file system (a bind mount) hides that from paths.
    /// </summary>
    private static bool SameDirectoryOnTheWay(string path, string other)
    {
        if (FileStatus.IdentityOf(other) is not { } identity)
            return false;
        for (var current = path; current is not null; current = Path.GetDirectoryName(current))
        {
            if (FileStatus.IdentityOf(current) == identity)
                return true;
        }

        return false;
    }

    public static void Check(string target, BackupRepository repository, IEnumerable<string> sources)
    {
        if (File.Exists(target))
            throw new RestoreTargetRefusedException($"the restore target {Path.GetFullPath(target)} is a file, not a directory");
        var real = RealPath.Of(target);
        // A repository in an object store shares no directory with any target.
        var repositoryPath = repository.LocalDirectory is { } local ? RealPath.Of(local) : null;
        if (repositoryPath is not null && (RealPath.IsSameOrInside(real, repositoryPath) || RealPath.IsSameOrInside(repositoryPath, real)
            || SameDirectoryOnTheWay(real, repositoryPath) || SameDirectoryOnTheWay(repositoryPath, real)))
            throw new RestoreTargetRefusedException(
                $"the restore target {real} is, holds or lies inside the repository {repositoryPath}; restoring there would destroy backups");
        foreach (var source in sources.Select(RealPath.Of).Distinct(StringComparer.Ordinal))
        {
            if (source != real && RealPath.IsSameOrInside(source, real))
                throw new RestoreTargetRefusedException(
                    $"the restore target {real} holds the backed-up source {source}; restore into the source directory itself or elsewhere");
        }
    }
}
