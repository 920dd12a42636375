namespace SpanRecovery.Repository;

/// <summary>A committed backup as the seed knew it: name, directory, creation time, type and stored size in bytes.</summary>
public sealed record BackupMetadata(string Name, string Path, DateTime Timestamp, BackupType Type, long Size);

/// <summary>What <see cref="BackupManager.CreateBackupAsync"/> produced: the backup, its manifest and how long it took.</summary>
public sealed record BackupResult(BackupMetadata Metadata, BackupManifest Manifest, TimeSpan Duration);
