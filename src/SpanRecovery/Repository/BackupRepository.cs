using System.Text.Json;

namespace SpanRecovery.Repository;

/// <summary>
/// The on-disk layout of DESIGN §5: <c>repo.json</c>, <c>lock</c> and <c>backups/&lt;name&gt;/</c>. A backup
/// directory counts only when its <c>manifest.json</c> exists; anything else under <c>backups/</c> is the
/// debris of an interrupted writer.
/// </summary>
public sealed class BackupRepository
{
    public const string ManifestFileName = "manifest.json";

    private BackupRepository(string path, RepositoryConfig config)
    {
        Path = path;
        Config = config;
        Strategy = config.Strategy.ToStrategy();
    }

    /// <summary>The repository directory (full path).</summary>
    public string Path { get; }

    public RepositoryConfig Config { get; }

    public BackupStrategy Strategy { get; }

    public string BackupsDirectory => System.IO.Path.Combine(Path, "backups");

    public string LockPath => System.IO.Path.Combine(Path, "lock");

    public string BackupDirectory(string name) => System.IO.Path.Combine(BackupsDirectory, name);

    public string ManifestPath(string name) => System.IO.Path.Combine(BackupDirectory(name), ManifestFileName);

    /// <summary>A path inside the repository as reports show it: relative, with '/' separators.</summary>
    public string Relative(string path) => System.IO.Path.GetRelativePath(Path, path).Replace('\\', '/');

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
    public static BackupRepository Open(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        var configPath = System.IO.Path.Combine(full, "repo.json");
        if (!File.Exists(configPath))
            throw new RepositoryException(RepositoryError.RepositoryNotFound, $"no repository at {full} (run 'spanrecovery repo init {path}')");
        RepositoryConfig config;
        try
        {
            config = RepositoryJson.Deserialize<RepositoryConfig>(File.ReadAllBytes(configPath));
        }
        catch (JsonException e)
        {
            throw new RepositoryException(RepositoryError.InvalidRepository, $"{configPath} is not a valid repository file: {e.Message}");
        }

        if (config.Format != RepositoryConfig.FormatId || config.Version != RepositoryConfig.CurrentVersion || config.Strategy is null)
            throw new RepositoryException(RepositoryError.InvalidRepository,
                $"{configPath}: format '{config.Format}' version {config.Version} is not {RepositoryConfig.FormatId} version {RepositoryConfig.CurrentVersion}");
        return new BackupRepository(full, config);
    }

    /// <summary>Names of committed backups (those with a manifest), in ordinal order.</summary>
    public IReadOnlyList<string> CommittedNames()
    {
        if (!Directory.Exists(BackupsDirectory))
            return [];
        return [.. Directory.EnumerateDirectories(BackupsDirectory)
            .Where(d => File.Exists(System.IO.Path.Combine(d, ManifestFileName)))
            .Select(d => System.IO.Path.GetFileName(d))
            .Order(StringComparer.Ordinal)];
    }

    /// <summary>Reads a committed backup's manifest; a missing one is <see cref="RepositoryError.BackupNotFound"/>.</summary>
    public BackupManifest ReadManifest(string name)
    {
        var path = ManifestPath(name);
        if (!IsValidName(name) || !File.Exists(path))
            throw new RepositoryException(RepositoryError.BackupNotFound, $"no backup named '{name}' in {Path}");
        return BackupManifest.Parse(File.ReadAllBytes(path));
    }

    /// <summary>Removes backup directories without a manifest: debris of an interrupted writer. Call holding the lock.</summary>
    public IReadOnlyList<string> RemoveDebris()
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

    /// <summary>A backup name never leaves <c>backups/</c>.</summary>
    private static bool IsValidName(string name) =>
        name.Length > 0 && name.IndexOfAny(['/', '\\']) < 0 && name != "." && name != "..";
}
