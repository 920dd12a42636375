using SpanRecovery.Repository;

namespace SpanRecovery.Fuzz;

/// <summary>
/// Harnesses for the repository files every command reads first: a backup's <c>manifest.json</c> and
/// <c>repo.json</c>. A damaged or hostile file must be refused with the documented exception
/// (<see cref="InvalidDataException"/>, <see cref="RepositoryException"/>); one that is accepted must keep
/// every promise commands rely on to stay inside the repository.
/// </summary>
public static class RepositoryHarnesses
{
    /// <summary>The directory name the fuzzed manifest is read from.</summary>
    public const string DirectoryName = "20261101-000000F_20261101-010000I";

    public static void Manifest(ReadOnlySpan<byte> data)
    {
        BackupManifest manifest;
        try
        {
            manifest = BackupManifest.Parse(data, DirectoryName);
        }
        catch (InvalidDataException)
        {
            return;
        }

        Check(manifest.Name == DirectoryName, "the name is not the directory's");
        Check(manifest.Parent is null || (RepositoryNames.IsPlainName(manifest.Parent) && manifest.Parent != manifest.Name), "the parent is not another plain name");
        Check(manifest.Segments.All(s => RepositoryNames.IsPlainName(s.Name)), "a segment name is not plain");
        Check(manifest.Segments.Select(s => s.Name).Distinct(StringComparer.Ordinal).Count() == manifest.Segments.Count, "a segment is listed twice");
        Check(manifest.Files.All(f => RepositoryNames.IsRelativePath(f.Path) && !f.Path.Split('/').Contains("..")), "a file path leaves the source");
        Check(manifest.Files.All(f => f.CaptureStart >= 0 && f.CaptureEnd >= f.CaptureStart), "an impossible captured range");
        _ = manifest.BackupType;
        _ = manifest.ToSummary();
    }

    public static void RepositoryConfigFile(ReadOnlySpan<byte> data)
    {
        try
        {
            var strategy = RepositoryConfig.Parse(data, "repo.json").Strategy.ToStrategy();
            Check(strategy.Interval > TimeSpan.Zero && strategy.RetentionDays >= 0, "an impossible strategy was accepted");
        }
        catch (RepositoryException)
        {
        }
    }

    private static void Check(bool condition, string broken)
    {
        if (!condition)
            throw new FuzzInvariantException(broken);
    }
}
