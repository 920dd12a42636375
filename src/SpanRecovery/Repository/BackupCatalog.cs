using System.Security.Cryptography;

namespace SpanRecovery.Repository;

/// <summary>A committed backup that no command may act on, and why (docs/repository.md "Confinement").</summary>
/// <param name="Parent">The parent its manifest names, when the manifest could be read.</param>
internal sealed record DamagedBackup(string Name, string Problem, string? Parent = null);

/// <summary>Whether a backup still sits on the exact parent manifest it was built on (see <see cref="BackupCatalog.CheckParentLinkAsync"/>).</summary>
internal enum ParentLink
{
    /// <summary>The parent manifest has the sha256 the backup recorded (or the backup is a full, which has no parent).</summary>
    Holds,

    ParentMissing,

    ParentChanged,
}

/// <summary>
/// Every committed backup of a repository, sorted into those commands may act on and those they must not. A
/// damaged backup takes only itself and its dependants out: a backup is intact when its manifest passes
/// <see cref="ManifestChecks"/> and its parent is intact, so a restore of an intact chain works whatever else
/// is damaged.
/// </summary>
/// <remarks>
/// The one place that follows parent links: the chain a backup restores from, the full it starts from, and
/// whether a parent's manifest is still the one its child was built on.
/// </remarks>
internal sealed class BackupCatalog
{
    private readonly Dictionary<string, BackupManifest> _intact;
    private readonly Dictionary<string, string?> _parents;

    /// <param name="intact">Oldest first (creation time, then name); each one's parents are intact too.</param>
    /// <param name="damaged">In name order.</param>
    public BackupCatalog(IReadOnlyList<BackupManifest> intact, IReadOnlyList<DamagedBackup> damaged)
    {
        ArgumentNullException.ThrowIfNull(intact);
        ArgumentNullException.ThrowIfNull(damaged);
        Intact = intact;
        Damaged = damaged;
        _intact = intact.ToDictionary(m => m.Name, StringComparer.Ordinal);
        _parents = intact.ToDictionary(m => m.Name, m => m.Parent, StringComparer.Ordinal);
        foreach (var backup in damaged)
            _parents[backup.Name] = backup.Parent;
    }

    /// <summary>Oldest first (creation time, then name).</summary>
    public IReadOnlyList<BackupManifest> Intact { get; }

    /// <summary>In name order.</summary>
    public IReadOnlyList<DamagedBackup> Damaged { get; }

    /// <summary>The intact backup named <paramref name="name"/>, or null.</summary>
    public BackupManifest? Find(string name) => _intact.GetValueOrDefault(name);

    /// <summary>
    /// <paramref name="name"/> and the backups it depends on, newest first, by the parent links of every manifest
    /// that could be read (damaged ones too); empty when no committed backup has that name. The walk stops at a
    /// parent that is not in the repository and at a loop.
    /// </summary>
    public IReadOnlyList<string> Lineage(string name)
    {
        var lineage = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (string? current = name; current is not null && seen.Add(current) && _parents.TryGetValue(current, out var parent); current = parent)
            lineage.Add(current);
        return lineage;
    }

    /// <summary>An intact backup and the backups it depends on, oldest first: the full, then each member up to it.</summary>
    public IReadOnlyList<BackupManifest> ChainOf(BackupManifest backup)
    {
        ArgumentNullException.ThrowIfNull(backup);
        var chain = Lineage(backup.Name).Select(name => _intact[name]).ToList(); // an intact backup's parents are intact
        chain.Reverse();
        return chain;
    }

    /// <summary>The full an intact backup's chain starts from.</summary>
    public BackupManifest RootOf(BackupManifest backup) => ChainOf(backup)[0];

    /// <summary>
    /// Whether <paramref name="backup"/>'s parent manifest in <paramref name="repository"/> is still the one it was
    /// built on, by the sha256 it recorded: a changed parent would silently change what the child restores.
    /// </summary>
    internal static async Task<ParentLink> CheckParentLinkAsync(BackupRepository repository, BackupManifest backup, CancellationToken cancellationToken)
    {
        if (backup.Parent is null)
            return ParentLink.Holds;
        if (!await repository.HasManifestAsync(backup.Parent, cancellationToken))
            return ParentLink.ParentMissing;
        return await ManifestSha256Async(repository, backup.Parent, cancellationToken) == backup.ParentManifestSha256 ? ParentLink.Holds : ParentLink.ParentChanged;
    }

    /// <summary>What a child records of its parent: the sha256 of the parent's manifest as stored.</summary>
    internal static async Task<string> ManifestSha256Async(BackupRepository repository, string name, CancellationToken cancellationToken) =>
        Convert.ToHexStringLower(SHA256.HashData(await repository.ReadManifestBytesAsync(name, cancellationToken)));

    internal static async Task<BackupCatalog> ReadAsync(BackupRepository repository, CancellationToken cancellationToken)
    {
        repository.RequireKey(); // an encrypted repository's manifests are all unreadable without it, not all damaged
        var parsed = new Dictionary<string, BackupManifest>(StringComparer.Ordinal);
        var damaged = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in await repository.CommittedNamesAsync(cancellationToken))
        {
            try
            {
                parsed[name] = await repository.ReadManifestAsync(name, cancellationToken);
            }
            catch (InvalidDataException e)
            {
                damaged[name] = e.Message;
            }
            catch (RepositoryException)
            {
                // Expired by another process since it was listed: gone, not damaged.
            }
        }

        // A parent that is missing, damaged or part of a loop takes its dependants with it.
        var sound = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in parsed.Keys)
            Resolve(name, parsed, damaged, sound);
        var intact = parsed.Values.Where(m => !damaged.ContainsKey(m.Name))
            .OrderBy(m => m.Created).ThenBy(m => m.Name, StringComparer.Ordinal).ToList();
        return new BackupCatalog(intact, [.. damaged.OrderBy(d => d.Key, StringComparer.Ordinal)
            .Select(d => new DamagedBackup(d.Key, d.Value, parsed.GetValueOrDefault(d.Key)?.Parent))]);
    }

    /// <summary>
    /// Decides <paramref name="name"/> and every backup on its way to a full: walks up to the first backup
    /// already decided (or a full, a missing parent or a loop), then marks the walked path from the top down.
    /// Iterative and linear, so a crafted chain of any length costs neither stack nor quadratic time.
    /// </summary>
    private static void Resolve(string name, Dictionary<string, BackupManifest> parsed, Dictionary<string, string> damaged, HashSet<string> sound)
    {
        var path = new List<string>();
        var onPath = new HashSet<string>(StringComparer.Ordinal);
        string? problem = null;
        for (var current = name; ; current = parsed[current].Parent!)
        {
            if (damaged.ContainsKey(current) || sound.Contains(current))
                break;
            if (!onPath.Add(current))
            {
                problem = "its chain of parents loops back to itself";
                break;
            }

            path.Add(current);
            var parent = parsed[current].Parent;
            if (parent is null)
                break;
            if (!parsed.ContainsKey(parent) && !damaged.ContainsKey(parent))
            {
                problem = $"its parent {parent} is not in the repository";
                break;
            }
        }

        for (var i = path.Count - 1; i >= 0; i--)
        {
            var parent = parsed[path[i]].Parent;
            if (problem is null && parent is not null && damaged.ContainsKey(parent))
                problem = $"its parent {parent} is damaged";
            if (problem is null)
            {
                sound.Add(path[i]);
            }
            else
            {
                damaged.TryAdd(path[i], problem);
                problem = $"its parent {path[i]} is damaged";
            }
        }
    }
}
