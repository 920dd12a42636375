namespace SpanRecovery.Restore;

/// <summary>
/// A restore that could not deliver what was asked (docs/restore.md), with what was done up to then: the hooks'
/// exit codes and whether the target was touched. The CLI maps each kind to an exit code.
/// </summary>
public abstract class RecoveryException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The restore as far as it got (never verified); set by <see cref="RecoveryManager"/>.</summary>
    public RecoveryResult? Result { get; internal set; }
}

/// <summary>No backup by that name, or no full backup created at or before the point in time (exit 3).</summary>
public sealed class BackupNotFoundException(string message) : RecoveryException(message);

/// <summary>The chain to restore failed its checksums before anything was written (exit 1; <c>--force</c> skips the check).</summary>
public sealed class CorruptedBackupException(string message, IReadOnlyList<Repository.Damage> damaged) : RecoveryException(message)
{
    /// <summary>The damaged pieces found, when the checksums found them.</summary>
    public IReadOnlyList<Repository.Damage> Damaged { get; } = damaged;
}

/// <summary>What was restored is not what the backups hold, or could not be delivered; the target was not switched (exit 1).</summary>
public sealed class VerificationFailedException(string message, Exception? inner = null) : RecoveryException(message, inner);

/// <summary>The pre-hook failed: the restore stopped before touching the target (exit 1).</summary>
public sealed class HookFailedException(string message) : RecoveryException(message);

/// <summary>
/// A directory target the restore must not replace (a file, the repository or something holding it, a parent
/// of the backed-up source) or that has too little free space for a whole backup; refused before any hook runs
/// or anything is touched (exit 2).
/// </summary>
public sealed class RestoreTargetRefusedException(string message) : RecoveryException(message);

/// <summary>
/// The directory target could not take the restore: its staging directory could not be made, or a file could not
/// be written (a full disk, a quota, a file-size limit). Nothing was switched into place, the target was left as it was (exit 2).
/// </summary>
public sealed class TargetWriteFailedException(string message, Exception? inner = null) : RecoveryException(message, inner);
