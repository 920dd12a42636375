using SpanRecovery.Otlp;
using SpanRecovery.Repository;
using SpanRecovery.Validation;

namespace SpanRecovery.Restore;

/// <summary>
/// Restores trace archives from a repository (docs/restore.md): verify the chain → pre-hook (stop services) →
/// restore into staging or send to a backend → verify what was restored → switch into place → post-hook
/// (start services), which runs whether the restore succeeded or not. Each restore is a <see cref="RestoreRun"/>.
/// </summary>
public sealed class RecoveryManager(BackupRepository repository, ReaderOptions? readerOptions = null, ValidationOptions? validationOptions = null)
{
    private readonly ReaderOptions _readerOptions = readerOptions ?? new ReaderOptions();

    /// <summary>Rebuilds the source files as <paramref name="backupName"/>'s chain captured them, byte for byte.</summary>
    /// <param name="target">A directory (replaced only when everything succeeded) or an OTLP/HTTP base URL.</param>
    public Task<RecoveryResult> RestoreFromBackupAsync(string backupName, string target, RestoreOptions? options = null, CancellationToken cancellationToken = default) =>
        RestoreAsync(catalog => RestorePlan.ForBackup(catalog, backupName), target, options, cancellationToken);

    /// <summary>Restores every captured span that ended at or before the time, from the backups around it (docs/restore.md).</summary>
    public Task<RecoveryResult> RestoreToPointInTimeAsync(ulong pointInTimeUnixNano, string target, RestoreOptions? options = null, CancellationToken cancellationToken = default) =>
        RestoreAsync(catalog => RestorePlan.ForPointInTime(catalog, pointInTimeUnixNano), target, options, cancellationToken);

    /// <summary>Whether a restore target names an OTLP/HTTP backend rather than a directory.</summary>
    internal static bool IsHttpTarget(string target) =>
        target.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || target.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    private Task<RecoveryResult> RestoreAsync(Func<BackupCatalog, RestorePlan> plan, string target, RestoreOptions? options, CancellationToken cancellationToken)
    {
        options ??= new RestoreOptions();
        IRestoreTarget restoreTarget = IsHttpTarget(target) ? new OtlpRestoreTarget(target, ExporterFor(options.Protocol)) : new DirectoryRestoreTarget(target);
        return RestoreRun.ExecuteAsync(repository, plan, restoreTarget, options, _readerOptions, validationOptions, cancellationToken);
    }

    private static ExporterFactory ExporterFor(OtlpProtocol protocol) => protocol == OtlpProtocol.Grpc
        ? (endpoint, http, log) => new GrpcBatchSender(endpoint, http, log)
        : (endpoint, http, log) => new BatchSender(endpoint, http, log);
}
