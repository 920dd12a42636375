using SpanRecovery.Encryption;
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

    /// <summary>Whether the repository's segments and manifests are encrypted (docs/repository.md "Encryption").</summary>
    public bool IsEncrypted => Config.Encryption is not null;

    /// <summary>The master key of an encrypted repository once <see cref="Unlock"/> opened it; null before and for a plain one.</summary>
    internal RepositoryKey? Key { get; private set; }

    /// <summary>Creates a repository at <paramref name="path"/> (a directory, created if missing, or <c>s3://bucket/prefix</c>); refused if it already is one.</summary>
    public static BackupRepository Init(string path, BackupStrategy strategy) =>
        InitAsync(path, strategy, CancellationToken.None).GetAwaiter().GetResult();

    internal static Task<BackupRepository> InitAsync(string path, BackupStrategy strategy, CancellationToken cancellationToken) =>
        CreateAsync(path, strategy, null, cancellationToken);

    /// <summary>
    /// Creates an encrypted repository at <paramref name="path"/>: a random master key, wrapped by a key derived
    /// from <paramref name="password"/> with Argon2id. The repository is returned unlocked.
    /// </summary>
    public static BackupRepository InitEncrypted(string path, BackupStrategy strategy, string password) =>
        InitEncrypted(path, strategy, password, PasswordKdf.Default);

    /// <summary>As <see cref="InitEncrypted(string, BackupStrategy, string)"/>, with the Argon2id costs given (tests use low ones).</summary>
    internal static BackupRepository InitEncrypted(string path, BackupStrategy strategy, string password, PasswordKdf kdf)
    {
        var key = RepositoryKey.New();
        var encryption = new EncryptionConfig(EncryptionConfig.ChunkedAesGcm, key.Id, [key.NewSlot(password, kdf, Now())]);
        var repository = CreateAsync(path, strategy, encryption, CancellationToken.None).GetAwaiter().GetResult();
        repository.Key = key;
        return repository;
    }

    /// <summary>
    /// Creates the repository <c>repo copy</c> copies into: the source's strategy and, for an encrypted source,
    /// its key slots, so the copy opens with the same passwords and its objects are the source's as stored.
    /// </summary>
    internal static async Task<BackupRepository> InitCopyOfAsync(string path, BackupRepository source, CancellationToken cancellationToken)
    {
        var copy = await CreateAsync(path, source.Strategy, source.Config.Encryption, cancellationToken);
        copy.Key = source.Key;
        return copy;
    }

    private static async Task<BackupRepository> CreateAsync(string path, BackupStrategy strategy, EncryptionConfig? encryption, CancellationToken cancellationToken)
    {
        var store = ObjectStores.Open(path);
        if (await store.SizeAsync(ConfigKey, cancellationToken) is not null)
            throw new RepositoryException(RepositoryError.InvalidRepository, $"{store.Location} is already a repository");
        if (store is DirectoryObjectStore directory)
            Directory.CreateDirectory(System.IO.Path.Combine(directory.Root, "backups"));
        var config = new RepositoryConfig(RepositoryConfig.FormatId,
            encryption is null ? RepositoryConfig.CurrentVersion : RepositoryConfig.EncryptedVersion, StrategyConfig.From(strategy), Now(), encryption);
        await WriteConfigAsync(store, config, cancellationToken);
        return new BackupRepository(store, config);
    }

    /// <summary>Writes <c>repo.json</c> whole (the store replaces an object atomically).</summary>
    internal static async Task WriteConfigAsync(IObjectStore store, RepositoryConfig config, CancellationToken cancellationToken)
    {
        using var bytes = new MemoryStream(RepositoryJson.Serialize(config));
        await store.WriteAsync(ConfigKey, bytes, cancellationToken);
    }

    internal static DateTime Now()
    {
        var now = DateTime.UtcNow;
        return new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);
    }

    /// <summary>
    /// Opens the master key of an encrypted repository with <paramref name="password"/>, so that its backups can be
    /// written and read; a password that opens none of its key slots is <see cref="RepositoryError.AuthenticationFailed"/>.
    /// Does nothing for a plain repository.
    /// </summary>
    public void Unlock(string password)
    {
        ArgumentNullException.ThrowIfNull(password);
        if (Config.Encryption is not { } encryption || Key is not null)
            return;
        var key = RepositoryKey.TryUnlock(encryption.Keys, password)
            ?? throw new RepositoryException(RepositoryError.AuthenticationFailed,
                $"authentication failed: the password opens none of the {encryption.Keys.Count} key(s) of repository {Path}");
        // A key slot copied in from another repository opens a key that is not this repository's.
        Key = key.Id == encryption.KeyId ? key
            : throw new RepositoryException(RepositoryError.AuthenticationFailed, $"authentication failed: the key the password opens is not the key of repository {Path}");
    }

    /// <summary>The master key, or <see cref="RepositoryError.PasswordRequired"/> for an encrypted repository not unlocked; null for a plain one.</summary>
    internal RepositoryKey? RequireKey() => IsEncrypted && Key is null
        ? throw new RepositoryException(RepositoryError.PasswordRequired, $"repository {Path} is encrypted: its password is needed")
        : Key;

    /// <summary>
    /// Takes the key of <paramref name="source"/> when both repositories are encrypted with the same master key, so
    /// that objects copied as stored open here; a copy of an encrypted repository stays encrypted, so any other
    /// pairing of plain and encrypted repositories is refused.
    /// </summary>
    internal void ShareKeyOf(BackupRepository source)
    {
        if (Config.Encryption?.KeyId != source.Config.Encryption?.KeyId)
            throw new RepositoryException(RepositoryError.InvalidRepository, (source.IsEncrypted, IsEncrypted) switch
            {
                (true, false) => $"{Path} is not encrypted: a copy of the encrypted repository {source.Path} must stay encrypted",
                (false, true) => $"{Path} is encrypted and {source.Path} is not: its backups cannot be copied as they are stored",
                _ => $"{Path} is encrypted with another master key than {source.Path}: copy into a new repository, which gets the same key",
            });
        Key = source.Key;
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
        BackupManifest.Parse(ManifestJson(name, await ReadManifestBytesAsync(name, cancellationToken)), name);

    /// <summary>A manifest's JSON from its bytes as stored: decrypted in an encrypted repository (one that does not authenticate is damaged).</summary>
    internal byte[] ManifestJson(string name, byte[] stored)
    {
        if (RequireKey() is not { } key)
            return stored;
        try
        {
            return key.Open(stored, ManifestKey(name));
        }
        catch (ObjectAuthenticationException e)
        {
            throw new InvalidDataException(e.Message, e);
        }
    }

    /// <summary>A manifest as it is stored: its JSON, encrypted in an encrypted repository.</summary>
    internal byte[] StoredManifest(BackupManifest manifest)
    {
        var json = RepositoryJson.Serialize(manifest);
        return RequireKey() is { } key ? key.Seal(json, ManifestKey(manifest.Name)) : json;
    }

    /// <summary>
    /// The commit point of a backup whose segments are in place: an encrypted repository first writes the
    /// checksums of its stored objects (for <c>backups verify</c> without the password), then the manifest.
    /// </summary>
    internal async Task CommitAsync(BackupManifest manifest, byte[] storedManifest, CancellationToken cancellationToken)
    {
        if (IsEncrypted)
            await StoredChecksums.WriteAsync(this, manifest, storedManifest, cancellationToken);
        await WriteManifestAsync(manifest.Name, storedManifest, cancellationToken);
    }

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
    private async Task WriteManifestAsync(string name, byte[] bytes, CancellationToken cancellationToken)
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
    /// A segment's zstd bytes: as stored, or decrypted as they are read in an encrypted repository (a chunk that
    /// does not authenticate is an <see cref="ObjectAuthenticationException"/>). Null when it is missing.
    /// </summary>
    internal async Task<Stream?> OpenSegmentContentAsync(string backupName, string segmentName, CancellationToken cancellationToken)
    {
        var key = RequireKey();
        var stored = await OpenSegmentAsync(backupName, segmentName, cancellationToken);
        return key is null || stored is null ? stored : key.Open(stored, SegmentKey(backupName, segmentName), leaveOpen: false);
    }

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
