using SpanRecovery.Repository;

namespace SpanRecovery.Restore;

/// <summary>
/// Which backups a restore reads (docs/restore.md). <see cref="Primary"/> is the chain whose files are restored
/// (oldest first: the full, then the members its last backup depends on). A point-in-time restore may add
/// <see cref="Secondary"/>: the chain of the first backup after the time when that backup starts a new chain,
/// read only for spans the primary chain does not hold.
/// </summary>
internal sealed record RestorePlan(IReadOnlyList<BackupManifest> Primary, IReadOnlyList<BackupManifest> Secondary, ulong? PointInTimeUnixNano)
{
    /// <summary>Every backup the restore reads, in the order it reads them.</summary>
    public IEnumerable<BackupManifest> Backups => Primary.Concat(Secondary);

    /// <summary>The chain that restores <paramref name="name"/> as it was captured.</summary>
    public static RestorePlan ForBackup(BackupCatalog catalog, string name)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        if (catalog.Damaged.FirstOrDefault(d => d.Name == name) is { } damaged)
            throw new CorruptedBackupException($"backup {name} is damaged, nothing was restored: {damaged.Problem}", []);
        var backup = catalog.Find(name) ?? throw new BackupNotFoundException($"no backup named '{name}' in the repository");
        return new RestorePlan(catalog.ChainOf(backup), [], null);
    }

    /// <summary>
    /// The newest full created at or before <paramref name="unixNano"/>; in its chain the earliest backup
    /// created after that time, or the newest at or before it when none is later. When the first backup
    /// created after the time is not in that chain, its chain is read too (docs/restore.md).
    /// </summary>
    public static RestorePlan ForPointInTime(BackupCatalog catalog, ulong unixNano)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var ordered = catalog.Intact;
        var full = ordered.LastOrDefault(m => m.BackupType == BackupType.Full && UnixNano(m.Created) <= unixNano)
            ?? throw new BackupNotFoundException(
                $"no full backup was created at or before {FormatTime(unixNano)}; the oldest backup is {(ordered.Count == 0 ? "none" : ordered[0].Name)}");
        var family = ordered.Where(m => catalog.RootOf(m).Name == full.Name).ToList();
        var member = family.FirstOrDefault(m => UnixNano(m.Created) > unixNano) ?? family[^1];
        var primary = catalog.ChainOf(member);
        var firstAfter = ordered.FirstOrDefault(m => UnixNano(m.Created) > unixNano);
        var secondary = firstAfter is null || primary.Contains(firstAfter) ? [] : catalog.ChainOf(firstAfter);
        return new RestorePlan(primary, secondary, unixNano);
    }

    internal static ulong UnixNano(DateTime utc) => (ulong)(utc - DateTime.UnixEpoch).Ticks * 100;

    internal static string FormatTime(ulong unixNano) =>
        DateTime.UnixEpoch.AddTicks((long)(unixNano / 100)).ToString("yyyy-MM-ddTHH:mm:ss.FFFFFFFZ", System.Globalization.CultureInfo.InvariantCulture);
}
