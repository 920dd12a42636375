namespace SpanRecovery.Repository;

/// <summary>A committed backup that no command may act on, and why (DESIGN §5 "Confinement").</summary>
/// <param name="Parent">The parent its manifest names, when the manifest could be read.</param>
public sealed record DamagedBackup(string Name, string Problem, string? Parent = null);

/// <summary>
/// Every committed backup of a repository, sorted into those commands may act on and those they must not. A
/// damaged backup takes only itself and its dependants out: a backup is intact when its manifest passes
/// <see cref="ManifestChecks"/> and its parent is intact, so a restore of an intact chain works whatever else
/// is damaged.
/// </summary>
/// <param name="Intact">Oldest first (creation time, then name).</param>
/// <param name="Damaged">In name order.</param>
public sealed record BackupCatalog(IReadOnlyList<BackupManifest> Intact, IReadOnlyList<DamagedBackup> Damaged)
{
    internal static BackupCatalog Read(BackupRepository repository)
    {
        var parsed = new Dictionary<string, BackupManifest>(StringComparer.Ordinal);
        var damaged = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in repository.CommittedNames())
        {
            try
            {
                parsed[name] = repository.ReadManifest(name);
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
