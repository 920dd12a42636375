namespace SpanRecovery.Repository;

/// <summary>
/// How a repository is meant to be used: the backup type taken when none is asked for, how long backups are
/// kept and how often one is expected. Stored in <c>repo.json</c>.
/// </summary>
public sealed record BackupStrategy(string Name, BackupType Type, int RetentionDays, TimeSpan Interval)
{
    /// <summary>The 3-2-1 preset: incremental backups every 24 h, kept 30 days (copies via <c>repo copy</c>).</summary>
    public static BackupStrategy ThreeTwoOne { get; } = new("3-2-1", BackupType.Incremental, 30, TimeSpan.FromHours(24));

    /// <summary>The presets <c>repo init --strategy</c> accepts.</summary>
    public static IReadOnlyList<BackupStrategy> Presets { get; } = [ThreeTwoOne];

    /// <summary>A strategy by its preset name (<c>3-2-1</c>).</summary>
    public static bool TryGetPreset(string name, out BackupStrategy strategy)
    {
        strategy = Presets.FirstOrDefault(p => p.Name == name)!;
        return strategy is not null;
    }
}
