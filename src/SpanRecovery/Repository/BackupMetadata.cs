namespace SpanRecovery.Repository;

/// <summary>A committed backup in brief: name, directory, creation time, type and stored size in bytes.</summary>
public sealed record BackupMetadata(string Name, string Path, DateTime Timestamp, BackupType Type, long Size);

/// <summary>What <see cref="BackupManager.CreateBackupAsync"/> produced: the backup, its manifest and how long it took.</summary>
/// <param name="Skipped">Source entries not captured (not regular files, symbolic links, unreadable, changed midway), each with the reason.</param>
public sealed record BackupResult(BackupMetadata Metadata, BackupManifest Manifest, TimeSpan Duration, IReadOnlyList<SkippedEntry> Skipped);
