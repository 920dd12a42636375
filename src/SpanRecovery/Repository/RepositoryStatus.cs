namespace SpanRecovery.Repository;

/// <summary>
/// The one-screen summary of <c>backups status</c>: how many backups of each type, the newest and its age,
/// whether it is overdue per the strategy's interval (<see cref="BackupManager.OverdueWarning"/>), and the
/// bytes the committed backups hold on disk.
/// </summary>
public sealed record RepositoryStatus(
    string Repository,
    string Strategy,
    double IntervalHours,
    int RetentionDays,
    int Backups,
    int Full,
    int Incremental,
    int Differential,
    string? Newest,
    DateTime? NewestCreated,
    double? NewestAgeHours,
    bool Overdue,
    string? Warning,
    long StoredBytes)
{
    /// <summary>Reads the status of <paramref name="manager"/>'s repository as of <paramref name="utcNow"/> (no lock: committed backups only).</summary>
    public static RepositoryStatus Read(BackupManager manager, DateTime utcNow)
    {
        ArgumentNullException.ThrowIfNull(manager);
        var manifests = manager.ListManifests();
        var newest = manifests.Count == 0 ? null : manifests.MaxBy(m => m.Created);
        var warning = manager.OverdueWarning(manifests, utcNow);
        var strategy = manager.Repository.Strategy;
        return new RepositoryStatus(
            manager.Repository.Path, strategy.Name, strategy.Interval.TotalHours, strategy.RetentionDays,
            manifests.Count,
            manifests.Count(m => m.BackupType == BackupType.Full),
            manifests.Count(m => m.BackupType == BackupType.Incremental),
            manifests.Count(m => m.BackupType == BackupType.Differential),
            newest?.Name, newest?.Created, newest is null ? null : Math.Round((utcNow - newest.Created).TotalHours, 2),
            warning is not null, warning,
            manifests.Sum(m => manager.ToMetadataAsync(m, CancellationToken.None).GetAwaiter().GetResult().Size));
    }
}
