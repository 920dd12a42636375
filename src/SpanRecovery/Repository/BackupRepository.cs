using SpanRecovery.Storage;

namespace SpanRecovery.Repository;

/// <summary>
/// The layout of docs/repository.md, in a directory or under an <c>s3://bucket/prefix</c>: <c>repo.json</c>,
/// <c>lock</c> and <c>backups/&lt;name&gt;/</c>. A backup counts only when its <c>manifest.json</c> exists;
/// anything else under <c>backups/</c> is the debris of an interrupted writer. Every read and write of a
/// manifest and of a segment's stored bytes goes through this class, whatever the store.
/// </summary>
public sealed class BackupRepository
{
    internal const string ManifestFileName = "manifest.json";
    internal const string ConfigKey = "repo.json";
    internal const string LockKey = "lock";
    internal const string BackupsPrefix = "backups/";

    private readonly TextWriter? _warnings;
    private readonly HashSet<string> _reported = new(StringComparer.Ordinal);

    private BackupRepository(IObjectStore store, RepositoryConfig config, TextWriter? warnings = null)
    {
        _warnings = warnings;
        Store = store;
        Config = config;
        Strategy = config.Strategy.ToStrategy();
    }

    /// <summary>Where the repository is: a directory (full path) or <c>s3://bucket/prefix</c>.</summary>
    public string Path => Store.Location;

    /// <summary>The repository's <c>repo.json</c>.</summary>
    public RepositoryConfig Config { get; }

    /// <summary>The strategy backups follow when no type is asked for.</summary>
    public BackupStrategy Strategy { get; }

    internal IObjectStore Store { get; }

    /// <summary>The directory of a local repository; null for one in an object store.</summary>
    internal string? LocalDirectory => (Store as DirectoryObjectStore)?.Root;

    internal static string BackupPrefix(string name) => $"{BackupsPrefix}{name}/";

    internal static string ManifestKey(string name) => BackupPrefix(name) + ManifestFileName;

    internal static string SegmentKey(string backupName, string segmentName) => BackupPrefix(backupName) + segmentName;

    internal string BackupsDirectory => Store.Describe(BackupsPrefix.TrimEnd('/'));

    internal string LockPath => Store.Describe(LockKey);

    internal string BackupDirectory(string name) => Store.Describe(BackupPrefix(name).TrimEnd('/'));

    internal string ManifestPath(string name) => Store.Describe(ManifestKey(name));

    /// <summary>A segment's full name; its name passed <see cref="RepositoryNames.IsPlainName"/> when the manifest was read.</summary>
    internal string SegmentPath(string backupName, string segmentName) => Store.Describe(SegmentKey(backupName, segmentName));

    /// <summary>Creates a repository at <paramref name="path"/> (a directory, created if missing, or <c>s3://bucket/prefix</c>); refused if it already is one.</summary>
    public static BackupRepository Init(string path, BackupStrategy strategy) =>
        InitAsync(path, strategy, CancellationToken.None).GetAwaiter().GetResult();

    internal static async Task<BackupRepository> InitAsync(string path, BackupStrategy strategy, CancellationToken cancellationToken)
    {
        var store = ObjectStores.Open(path);
        if (await store.SizeAsync(ConfigKey, cancellationToken) is not null)
            throw new RepositoryException(RepositoryError.InvalidRepository, $"{store.Location} is already a repository");
        if (store is DirectoryObjectStore directory)
            Directory.CreateDirectory(System.IO.Path.Combine(directory.Root, "backups"));
        var now = DateTime.UtcNow;
        var config = new RepositoryConfig(RepositoryConfig.FormatId, RepositoryConfig.CurrentVersion, StrategyConfig.From(strategy),
            new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc));
        using var bytes = new MemoryStream(RepositoryJson.Serialize(config));
        await store.WriteAsync(ConfigKey, bytes, cancellationToken);
        return new BackupRepository(store, config);
    }

    /// <summary>Opens an existing repository; a missing <c>repo.json</c> is <see cref="RepositoryError.RepositoryNotFound"/>.</summary>
    /// <param name="warnings">Where damaged backups that commands skip are reported (the CLI's stderr).</param>
    public static BackupRepository Open(string path, TextWriter? warnings = null) =>
        OpenAsync(path, warnings, CancellationToken.None).GetAwaiter().GetResult();

    internal static async Task<BackupRepository> OpenAsync(string path, TextWriter? warnings, CancellationToken cancellationToken)
    {
        var store = ObjectStores.Open(path);
        var bytes = await ReadAllAsync(store, ConfigKey, cancellationToken)
            ?? throw new RepositoryException(RepositoryError.RepositoryNotFound, $"no repository at {store.Location}");
        return new BackupRepository(store, RepositoryConfig.Parse(bytes, store.Describe(ConfigKey)), warnings);
    }

    /// <summary>Whether a repository exists at <paramref name="path"/>.</summary>
    internal static async Task<bool> ExistsAsync(string path, CancellationToken cancellationToken)
    {
        using var store = ObjectStores.Open(path);
        return await store.SizeAsync(ConfigKey, cancellationToken) is not null;
    }

    /// <summary>Names of committed backups (those with a manifest), in ordinal order.</summary>
    internal async Task<IReadOnlyList<string>> CommittedNamesAsync(CancellationToken cancellationToken = default) =>
        [.. (await Store.ListAsync(BackupsPrefix, cancellationToken))
            .Select(o => o.Key.Split('/'))
            .Where(parts => parts.Length == 3 && parts[2] == ManifestFileName)
            .Select(parts => parts[1])
            .Order(StringComparer.Ordinal)];

    /// <summary>
    /// Reads and checks a committed backup's manifest: a missing one is <see cref="RepositoryError.BackupNotFound"/>,
    /// a damaged one (also one reached through a symbolic link) an <see cref="InvalidDataException"/>.
    /// </summary>
    internal async Task<BackupManifest> ReadManifestAsync(string name, CancellationToken cancellationToken = default) =>
        BackupManifest.Parse(await ReadManifestBytesAsync(name, cancellationToken), name);

    /// <summary>A committed backup's manifest as stored: the one place manifests are read.</summary>
    internal async Task<byte[]> ReadManifestBytesAsync(string name, CancellationToken cancellationToken = default)
    {
        var bytes = RepositoryNames.IsPlainName(name) ? await ReadAllAsync(Store, ManifestKey(name), cancellationToken) : null;
        return bytes ?? throw new RepositoryException(RepositoryError.BackupNotFound, $"no backup named '{name}' in {Path}");
    }

    /// <summary>
    /// Commits a backup: its manifest, the one place manifests are written, and written last. Before it the
    /// backup does not exist, after it it is complete.
    /// </summary>
    internal async Task WriteManifestAsync(string name, byte[] bytes, CancellationToken cancellationToken)
    {
        using var content = new MemoryStream(bytes, writable: false);
        await Store.WriteAsync(ManifestKey(name), content, cancellationToken);
    }

    /// <summary>Whether a committed backup of that name exists.</summary>
    internal async Task<bool> HasManifestAsync(string name, CancellationToken cancellationToken) =>
        await Store.SizeAsync(ManifestKey(name), cancellationToken) is not null;

    /// <summary>Starts writing a segment's stored bytes: the one place segments are written.</summary>
    internal Task<ObjectWriter> CreateSegmentAsync(string backupName, string segmentName, CancellationToken cancellationToken) =>
        Store.CreateAsync(SegmentKey(backupName, segmentName), cancellationToken);

    /// <summary>
    /// A segment's stored bytes: the one place segments are read. Null when it is missing; an
    /// <see cref="InvalidDataException"/> when it is reached through a symbolic link.
    /// </summary>
    internal Task<Stream?> OpenSegmentAsync(string backupName, string segmentName, CancellationToken cancellationToken) =>
        Store.OpenReadAsync(SegmentKey(backupName, segmentName), cancellationToken);

    /// <summary>
    /// The committed backups sorted into intact and damaged ones. Each damaged backup is reported once per
    /// opened repository to the warnings writer given to <see cref="Open"/>, since every command skips it.
    /// </summary>
    internal async Task<BackupCatalog> ReadCatalogAsync(CancellationToken cancellationToken = default)
    {
        var catalog = await BackupCatalog.ReadAsync(this, cancellationToken);
        foreach (var damaged in catalog.Damaged)
        {
            if (_reported.Add(damaged.Name))
                _warnings?.WriteLine($"warning: backup {damaged.Name} is damaged and skipped ({damaged.Problem}); verification reports it");
        }

        return catalog;
    }

    /// <summary>
    /// Removes a backup: its manifest first, so an interruption leaves debris and never a backup without all of
    /// its objects. Call holding the lock.
    /// </summary>
    internal async Task RemoveBackupAsync(string name, CancellationToken cancellationToken)
    {
        await Store.DeleteAsync(ManifestKey(name), cancellationToken);
        try
        {
            await Store.DeletePrefixAsync(BackupPrefix(name), cancellationToken);
        }
        catch (IOException)
        {
            // Gone as a backup with its manifest; what is left is debris the next writer removes.
        }
    }

    /// <summary>Removes backups without a manifest: debris of an interrupted writer. Call holding the lock.</summary>
    internal async Task<IReadOnlyList<string>> RemoveDebrisAsync(CancellationToken cancellationToken = default)
    {
        var names = (await Store.ListAsync(BackupsPrefix, cancellationToken)).Select(o => o.Key.Split('/')).Where(parts => parts.Length >= 3).Select(p => p[1]);
        if (LocalDirectory is { } root && Directory.Exists(System.IO.Path.Combine(root, "backups")))
        {
            // Directories that hold no object yet (or only a killed writer's temporary file) are debris too.
            names = names.Concat(Directory.EnumerateDirectories(System.IO.Path.Combine(root, "backups")).Select(d => System.IO.Path.GetFileName(d)));
        }

        var committed = (await CommittedNamesAsync(cancellationToken)).ToHashSet(StringComparer.Ordinal);
        var removed = names.Distinct(StringComparer.Ordinal).Where(n => !committed.Contains(n)).Order(StringComparer.Ordinal).ToList();
        foreach (var name in removed)
            await Store.DeletePrefixAsync(BackupPrefix(name), cancellationToken);
        return removed;
    }

    /// <summary>An object's bytes; null when it does not exist.</summary>
    private static async Task<byte[]?> ReadAllAsync(IObjectStore store, string key, CancellationToken cancellationToken)
    {
        await using var stream = await store.OpenReadAsync(key, cancellationToken);
        if (stream is null)
            return null;
        using var bytes = new MemoryStream();
        await stream.CopyToAsync(bytes, cancellationToken);
        return bytes.ToArray();
    }
}
