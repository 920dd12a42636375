using System.Text.Json;

namespace SpanRecovery.Repository;

/// <summary>
/// The on-disk layout of docs/repository.md: <c>repo.json</c>, <c>lock</c> and <c>backups/&lt;name&gt;/</c>. A backup
/// directory counts only when its <c>manifest.json</c> exists; anything else under <c>backups/</c> is the
/// debris of an interrupted writer.
/// </summary>
public sealed class BackupRepository
{
    internal const string ManifestFileName = "manifest.json";

    private readonly TextWriter? _warnings;
    private readonly HashSet<string> _reported = new(StringComparer.Ordinal);

    private BackupRepository(string path, RepositoryConfig config, TextWriter? warnings = null)
    {
        _warnings = warnings;
        Path = path;
        Config = config;
        Strategy = config.Strategy.ToStrategy();
    }

    /// <summary>The repository directory (full path).</summary>
    public string Path { get; }

    /// <summary>The repository's <c>repo.json</c>.</summary>
    public RepositoryConfig Config { get; }

    /// <summary>The strategy backups follow when no type is asked for.</summary>
    public BackupStrategy Strategy { get; }

    internal string BackupsDirectory => System.IO.Path.Combine(Path, "backups");

    internal string LockPath => System.IO.Path.Combine(Path, "lock");

    internal string BackupDirectory(string name) => System.IO.Path.Combine(BackupsDirectory, name);

    internal string ManifestPath(string name) => System.IO.Path.Combine(BackupDirectory(name), ManifestFileName);

    /// <summary>A path inside the repository as reports show it: relative, with '/' separators.</summary>
    internal string Relative(string path) => System.IO.Path.GetRelativePath(Path, path).Replace('\\', '/');

    /// <summary>Creates a repository in <paramref name="path"/> (created if missing; refused if it already is one).</summary>
    public static BackupRepository Init(string path, BackupStrategy strategy)
    {
        var full = System.IO.Path.GetFullPath(path);
        var configPath = System.IO.Path.Combine(full, "repo.json");
        if (File.Exists(configPath))
            throw new RepositoryException(RepositoryError.InvalidRepository, $"{full} is already a repository");
        Directory.CreateDirectory(System.IO.Path.Combine(full, "backups"));
        var now = DateTime.UtcNow;
        var config = new RepositoryConfig(RepositoryConfig.FormatId, RepositoryConfig.CurrentVersion, StrategyConfig.From(strategy),
            new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc));
        RepositoryJson.WriteAtomically(configPath, RepositoryJson.Serialize(config));
        return new BackupRepository(full, config);
    }

    /// <summary>Opens an existing repository; a missing <c>repo.json</c> is <see cref="RepositoryError.RepositoryNotFound"/>.</summary>
    /// <param name="warnings">Where damaged backups that commands skip are reported (the CLI's stderr).</param>
    public static BackupRepository Open(string path, TextWriter? warnings = null)
    {
        var full = System.IO.Path.GetFullPath(path);
        var configPath = System.IO.Path.Combine(full, "repo.json");
        if (!File.Exists(configPath))
            throw new RepositoryException(RepositoryError.RepositoryNotFound, $"no repository at {full}");
        var config = RepositoryConfig.Parse(File.ReadAllBytes(configPath), configPath);
        return new BackupRepository(full, config, warnings);
    }

    /// <summary>Names of committed backups (those with a manifest), in ordinal order.</summary>
    internal IReadOnlyList<string> CommittedNames()
    {
        if (!Directory.Exists(BackupsDirectory))
            return [];
        return [.. Directory.EnumerateDirectories(BackupsDirectory)
            .Where(d => File.Exists(System.IO.Path.Combine(d, ManifestFileName)))
            .Select(d => System.IO.Path.GetFileName(d))
            .Order(StringComparer.Ordinal)];
    }

    /// <summary>
    /// Reads and checks a committed backup's manifest: a missing one is <see cref="RepositoryError.BackupNotFound"/>,
    /// a damaged one (also a backup directory that is a symbolic link) an <see cref="InvalidDataException"/>.
    /// </summary>
    internal BackupManifest ReadManifest(string name) => BackupManifest.Parse(ReadManifestBytes(name), name);

    /// <summary>A committed backup's manifest as stored, read only through a confined, link-free path.</summary>
    internal byte[] ReadManifestBytes(string name)
    {
        if (!RepositoryNames.IsPlainName(name) || !File.Exists(ManifestPath(name)))
            throw new RepositoryException(RepositoryError.BackupNotFound, $"no backup named '{name}' in {Path}");
        if (new DirectoryInfo(BackupDirectory(name)).LinkTarget is not null || new FileInfo(ManifestPath(name)).LinkTarget is not null)
            throw new InvalidDataException("damaged: the backup directory or its manifest is a symbolic link");
        try
        {
            return File.ReadAllBytes(ManifestPath(name));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new RepositoryException(RepositoryError.BackupNotFound, $"no backup named '{name}' in {Path}");
        }
    }

    /// <summary>
    /// The committed backups sorted into intact and damaged ones. Each damaged backup is reported once per
    /// opened repository to the warnings writer given to <see cref="Open"/>, since every command skips it.
    /// </summary>
    internal BackupCatalog ReadCatalog()
    {
        var catalog = BackupCatalog.Read(this);
        foreach (var damaged in catalog.Damaged)
        {
            if (_reported.Add(damaged.Name))
                _warnings?.WriteLine($"warning: backup {damaged.Name} is damaged and skipped ({damaged.Problem}); verification reports it");
        }

        return catalog;
    }

    /// <summary>A segment's path; its name passed <see cref="RepositoryNames.IsPlainName"/> when the manifest was read.</summary>
    internal string SegmentPath(string backupName, string segmentName) => System.IO.Path.Combine(BackupDirectory(backupName), segmentName);

    /// <summary>Removes backup directories without a manifest: debris of an interrupted writer. Call holding the lock.</summary>
    internal IReadOnlyList<string> RemoveDebris()
    {
        var removed = new List<string>();
        if (!Directory.Exists(BackupsDirectory))
            return removed;
        foreach (var directory in Directory.EnumerateDirectories(BackupsDirectory).ToList())
        {
            if (File.Exists(System.IO.Path.Combine(directory, ManifestFileName)))
                continue;
            Directory.Delete(directory, recursive: true);
            removed.Add(System.IO.Path.GetFileName(directory));
        }

        return removed;
    }
}
