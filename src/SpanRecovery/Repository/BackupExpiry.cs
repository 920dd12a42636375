using System.Globalization;

namespace SpanRecovery.Repository;

/// <summary>
/// What <c>backups expire</c> keeps (docs/repository.md): backups older than <see cref="Days"/>, fulls beyond the newest
/// <see cref="Full"/> (with their whole chains), differentials beyond the newest <see cref="Diff"/> of each full
/// (with the incrementals built on them). Unset forms do not apply; a backup goes when any set form selects it,
/// unless a kept backup depends on it.
/// </summary>
public sealed record RetentionPolicy(int? Days = null, int? Full = null, int? Diff = null)
{
    /// <summary>The repository strategy's retention: its days (3-2-1: 30).</summary>
    public static RetentionPolicy FromStrategy(BackupStrategy strategy)
    {
        ArgumentNullException.ThrowIfNull(strategy);
        return new RetentionPolicy(Days: strategy.RetentionDays);
    }

    /// <summary>A hundred years: longer retentions are typing errors, and dates before year 1 do not exist.</summary>
    public const int MaxDays = 36500;

    /// <summary>True when no form is set (the caller then uses <see cref="FromStrategy"/>).</summary>
    public bool IsEmpty => Days is null && Full is null && Diff is null;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for days outside 0..<see cref="MaxDays"/> or fewer than one full / differential.</summary>
    internal void Validate()
    {
        if (Days is < 0 or > MaxDays)
            throw new ArgumentOutOfRangeException(nameof(Days), Days, $"retention days must be 0 to {MaxDays}");
        if (Full is < 1)
            throw new ArgumentOutOfRangeException(nameof(Full), Full, "retention of full backups must keep at least 1");
        if (Diff is < 1)
            throw new ArgumentOutOfRangeException(nameof(Diff), Diff, "retention of differential backups must keep at least 1");
    }
}

/// <summary>A backup that expiry removes (or, in a dry run, would remove), and why.</summary>
public sealed record ExpiredBackup(string Name, string Reason);

/// <summary>
/// The outcome of <c>backups expire</c>: removed (newest first, the order of removal), kept (oldest first),
/// and those retention let go but a running restore is reading (kept this time).
/// </summary>
public sealed record ExpiryResult(IReadOnlyList<ExpiredBackup> Removed, IReadOnlyList<string> Kept, bool DryRun, IReadOnlyList<ExpiredBackup> InUse);

/// <summary>
/// Cleans up old backups: removes the backups a <see cref="RetentionPolicy"/> lets go, never one
/// that a kept backup depends on (its parent chain), so no kept backup is ever orphaned; the newest backup is
/// always kept. Removal holds the repository lock (and first clears the debris of interrupted writers) and
/// deletes each manifest before its directory, children before parents, so an interruption leaves only
/// debris and never a backup without its base.
/// </summary>
public sealed class BackupExpiry(BackupRepository repository)
{
    /// <summary>The repository whose backups expire.</summary>
    public BackupRepository Repository { get; } = repository;

    /// <summary>
    /// Applies <paramref name="policy"/> (empty or null: the strategy's) as of <paramref name="utcNow"/>;
    /// <paramref name="dryRun"/> only reports. Throws <see cref="RepositoryException"/> (LockHeld) when a writer runs.
    /// </summary>
    public ExpiryResult Expire(RetentionPolicy? policy, DateTime utcNow, bool dryRun = false) =>
        ExpireAsync(policy, utcNow, dryRun, CancellationToken.None).GetAwaiter().GetResult();

    internal async Task<ExpiryResult> ExpireAsync(RetentionPolicy? policy, DateTime utcNow, bool dryRun, CancellationToken cancellationToken)
    {
        var effective = policy is null || policy.IsEmpty ? RetentionPolicy.FromStrategy(Repository.Strategy) : policy;
        effective.Validate();
        if (dryRun)
            return Plan(await Repository.ReadCatalogAsync(cancellationToken), effective, utcNow, dryRun: true);

        await using var writerLock = await RepositoryLock.AcquireAsync(Repository, cancellationToken);
        await Repository.RemoveDebrisAsync(cancellationToken);
        var inUse = new List<ExpiredBackup>();
        var result = Plan(await Repository.ReadCatalogAsync(cancellationToken), effective, utcNow, dryRun: false);
        foreach (var expired in result.Removed)
        {
            // A restore reading it keeps it (and it keeps its own parents, which that restore reads too).
            if (await InUseAsync(expired.Name, cancellationToken) is { } reader)
            {
                inUse.Add(new ExpiredBackup(expired.Name, $"in use by a restore ({reader})"));
                continue;
            }

            await Repository.RemoveBackupAsync(expired.Name, cancellationToken);
        }

        return inUse.Count == 0 ? result : result with
        {
            Removed = [.. result.Removed.Where(r => inUse.All(u => u.Name != r.Name))],
            Kept = [.. result.Kept.Concat(inUse.Select(u => u.Name)).Order(StringComparer.Ordinal)],
            InUse = inUse,
        };
    }

    /// <summary>The live restore reading <paramref name="name"/>, if any; asked right before each removal.</summary>
    private async Task<LockHolder?> InUseAsync(string name, CancellationToken cancellationToken) =>
        (await RepositoryReaders.LiveAsync(Repository, cancellationToken)).FirstOrDefault(r => r.Backups.Contains(name))?.Reader;

    /// <summary>
    /// Decides, without touching the repository, which of <paramref name="catalog"/>'s intact backups go and why.
    /// Removed is ordered newest first (children before parents), kept oldest first.
    /// </summary>
    internal static ExpiryResult Plan(BackupCatalog catalog, RetentionPolicy policy, DateTime utcNow, bool dryRun)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(policy);
        policy.Validate();
        var ordered = catalog.Intact;
        var reasons = new Dictionary<string, string>(StringComparer.Ordinal);

        if (policy.Full is { } keepFulls)
        {
            var fulls = ordered.Where(m => m.BackupType == BackupType.Full).ToList();
            foreach (var full in fulls.Take(Math.Max(0, fulls.Count - keepFulls)))
            {
                reasons.TryAdd(full.Name, $"full beyond the newest {keepFulls} (retention: {keepFulls} fulls)");
                foreach (var member in ordered.Where(m => m.Name != full.Name && catalog.RootOf(m).Name == full.Name))
                    reasons.TryAdd(member.Name, $"chain of expired full {full.Name}");
            }
        }

        if (policy.Diff is { } keepDiffs)
        {
            foreach (var chain in ordered.Where(m => m.BackupType == BackupType.Differential).GroupBy(m => catalog.RootOf(m).Name))
            {
                var diffs = chain.ToList();
                foreach (var diff in diffs.Take(Math.Max(0, diffs.Count - keepDiffs)))
                {
                    reasons.TryAdd(diff.Name, $"differential beyond the newest {keepDiffs} of full {chain.Key} (retention: {keepDiffs} differentials per full)");
                    foreach (var member in ordered.Where(m => m.BackupType == BackupType.Incremental && catalog.Lineage(m.Name).Contains(diff.Name)))
                        reasons.TryAdd(member.Name, $"depends on expired differential {diff.Name}");
                }
            }
        }

        if (policy.Days is { } days)
        {
            var cutoff = utcNow - TimeSpan.FromDays(days);
            foreach (var old in ordered.Where(m => m.Created < cutoff))
                reasons.TryAdd(old.Name, string.Create(CultureInfo.InvariantCulture, $"older than {days} days"));
        }

        // The newest backup always stays, and everything a kept backup depends on stays with it.
        if (ordered.Count > 0)
            reasons.Remove(ordered[^1].Name);
        foreach (var kept in ordered.Where(m => !reasons.ContainsKey(m.Name)).ToList())
        {
            foreach (var member in catalog.Lineage(kept.Name))
                reasons.Remove(member);
        }

        var removed = ordered.Where(m => reasons.ContainsKey(m.Name)).Reverse().Select(m => new ExpiredBackup(m.Name, reasons[m.Name])).ToList();
        var keptNames = ordered.Where(m => !reasons.ContainsKey(m.Name)).Select(m => m.Name).ToList();
        return new ExpiryResult(removed, keptNames, dryRun, []);
    }
}

/// <summary>Cleaning up old backups, for callers that hold a <see cref="BackupManager"/>.</summary>
public static class BackupManagerRetention
{
    /// <summary>Removes the backups <paramref name="policy"/> (null: the strategy's) lets go; see <see cref="BackupExpiry"/>.</summary>
    public static ExpiryResult CleanupOldBackups(this BackupManager manager, RetentionPolicy? policy, DateTime utcNow, bool dryRun = false)
    {
        ArgumentNullException.ThrowIfNull(manager);
        return new BackupExpiry(manager.Repository).Expire(policy, utcNow, dryRun);
    }
}
