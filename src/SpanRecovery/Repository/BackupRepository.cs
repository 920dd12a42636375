using System.Text.Json;
using SpanRecovery.Encryption;

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

    /// <summary>Whether the repository's segments and manifests are encrypted (docs/repository.md "Encryption").</summary>
    public bool IsEncrypted => Config.Encryption is not null;

    /// <summary>The master key of an encrypted repository once <see cref="Unlock"/> opened it; null before and for a plain one.</summary>
    internal RepositoryKey? Key { get; private set; }

    internal string ConfigPath => System.IO.Path.Combine(Path, "repo.json");

    /// <summary>Creates a repository in <paramref name="path"/> (created if missing; refused if it already is one).</summary>
    public static BackupRepository Init(string path, BackupStrategy strategy) => Create(path, strategy, null);

    /// <summary>
    /// Creates an encrypted repository in <paramref name="path"/>: a random master key, wrapped by a key derived
    /// from <paramref name="password"/> with Argon2id. The repository is returned unlocked.
    /// </summary>
    public static BackupRepository InitEncrypted(string path, BackupStrategy strategy, string password) =>
        InitEncrypted(path, strategy, password, PasswordKdf.Default);

    /// <summary>As <see cref="InitEncrypted(string, BackupStrategy, string)"/>, with the Argon2id costs given (tests use low ones).</summary>
    internal static BackupRepository InitEncrypted(string path, BackupStrategy strategy, string password, PasswordKdf kdf)
    {
        var key = RepositoryKey.New();
        var repository = Create(path, strategy, new EncryptionConfig(EncryptionConfig.ChunkedAesGcm, key.Id, [key.NewSlot(password, kdf, Now())]));
        repository.Key = key;
        return repository;
    }

    private static BackupRepository Create(string path, BackupStrategy strategy, EncryptionConfig? encryption)
    {
        var full = System.IO.Path.GetFullPath(path);
        var configPath = System.IO.Path.Combine(full, "repo.json");
        if (File.Exists(configPath))
            throw new RepositoryException(RepositoryError.InvalidRepository, $"{full} is already a repository");
        Directory.CreateDirectory(System.IO.Path.Combine(full, "backups"));
        var config = new RepositoryConfig(RepositoryConfig.FormatId,
            encryption is null ? RepositoryConfig.CurrentVersion : RepositoryConfig.EncryptedVersion, StrategyConfig.From(strategy), Now(), encryption);
        RepositoryJson.WriteAtomically(configPath, RepositoryJson.Serialize(config));
        return new BackupRepository(full, config);
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

    /// <summary>
    /// Creates the repository <c>repo copy</c> copies into: the source's strategy and, for an encrypted source,
    /// its key slots, so the copy opens with the same passwords and its objects are the source's as stored.
    /// </summary>
    internal static BackupRepository InitCopyOf(string path, BackupRepository source)
    {
        var copy = Create(path, source.Strategy, source.Config.Encryption);
        copy.Key = source.Key;
        return copy;
    }

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

    /// <summary>The master key, or <see cref="RepositoryError.PasswordRequired"/> for an encrypted repository not unlocked; null for a plain one.</summary>
    internal RepositoryKey? RequireKey() => IsEncrypted && Key is null
        ? throw new RepositoryException(RepositoryError.PasswordRequired, $"repository {Path} is encrypted: its password is needed")
        : Key;

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
    internal BackupManifest ReadManifest(string name) => BackupManifest.Parse(ManifestJson(name, ReadManifestBytes(name)), name);

    /// <summary>A manifest's JSON from its bytes as stored: decrypted in an encrypted repository (one that does not authenticate is damaged).</summary>
    internal byte[] ManifestJson(string name, byte[] stored)
    {
        if (RequireKey() is not { } key)
            return stored;
        try
        {
            return key.Open(stored, Relative(ManifestPath(name)));
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
        return RequireKey() is { } key ? key.Seal(json, Relative(ManifestPath(manifest.Name))) : json;
    }

    /// <summary>
    /// The commit point of a backup whose segments are in place: an encrypted repository first writes the
    /// checksums of its stored objects (for <c>backups verify</c> without the password), then the manifest,
    /// atomically. Before the manifest's rename the backup does not exist, after it it is complete.
    /// </summary>
    internal void Commit(BackupManifest manifest, byte[] storedManifest)
    {
        if (IsEncrypted)
            StoredChecksums.Write(this, manifest, storedManifest);
        RepositoryJson.WriteAtomically(ManifestPath(manifest.Name), storedManifest);
    }

    /// <summary>Reads a stored segment through <paramref name="stored"/>: decrypted as it is read in an encrypted repository.</summary>
    internal Stream OpenSegment(string segmentPath, Stream stored) =>
        RequireKey() is { } key ? key.Open(stored, Relative(segmentPath), leaveOpen: false) : stored;

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
