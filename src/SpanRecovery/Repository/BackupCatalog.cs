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
        foreach (var name in parsed.Keys.ToList())
            Resolve(name, parsed, damaged, []);
        var intact = parsed.Values.Where(m => !damaged.ContainsKey(m.Name))
            .OrderBy(m => m.Created).ThenBy(m => m.Name, StringComparer.Ordinal).ToList();
        return new BackupCatalog(intact, [.. damaged.OrderBy(d => d.Key, StringComparer.Ordinal)
            .Select(d => new DamagedBackup(d.Key, d.Value, parsed.GetValueOrDefault(d.Key)?.Parent))]);
    }

    /// <summary>Whether <paramref name="name"/>'s chain is sound; marks it damaged when not.</summary>
    private static bool Resolve(string name, Dictionary<string, BackupManifest> parsed, Dictionary<string, string> damaged, HashSet<string> visiting)
    {
        if (damaged.ContainsKey(name))
            return false;
        var parent = parsed[name].Parent;
        if (parent is null)
            return true;
        string? problem = null;
        if (!visiting.Add(name))
            problem = "its chain of parents loops back to itself";
        else if (!parsed.ContainsKey(parent) && !damaged.ContainsKey(parent))
            problem = $"its parent {parent} is not in the repository";
        else if (!Resolve(parent, parsed, damaged, visiting))
            problem = $"its parent {parent} is damaged";
        if (problem is null)
            return true;
        damaged.TryAdd(name, problem);
        return false;
    }
}
