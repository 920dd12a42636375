using SpanRecovery.Repository;

namespace SpanRecovery.Restore;

/// <summary>
/// Where a restore puts what it reads (docs/restore.md): a directory, or a live backend that takes OTLP. The target
/// decides what it must refuse, how a file reaches it and when what it holds verifies; <see cref="RestoreRun"/>
/// calls it in this order: <see cref="Check"/> before the chain is verified and any hook runs; after the pre-hook
/// <see cref="Open"/>, <see cref="DeliverAsync"/> for every file of the plan's chains (the primary chain first),
/// <see cref="FinishAsync"/>; and always <see cref="IAsyncDisposable.DisposeAsync"/>, before the post-hook.
/// </summary>
internal interface IRestoreTarget : IAsyncDisposable
{
    /// <summary>The target as it was given (a directory path or a URL): what the hooks are told and a failed restore reports.</summary>
    string Name { get; }

    /// <summary>Throws <see cref="RestoreTargetRefusedException"/> when restoring <paramref name="plan"/> here would destroy something.</summary>
    void Check(BackupRepository repository, RestorePlan plan);

    /// <summary>Makes the target ready to receive <paramref name="run"/>'s files (a staging directory; a sender and its resume journal).</summary>
    void Open(RestoreRun run, CancellationToken cancellationToken);

    /// <summary>
    /// Takes one file of the chains (never a symbolic link: those are the target's to make when it finishes, if
    /// it keeps them). Records go through <see cref="RestoreRun.ReadRecordsAsync"/>, which keeps the spans the
    /// run selects and checks what it read against the manifests.
    /// </summary>
    Task DeliverAsync(RestoreRun run, ChainFile file, CancellationToken cancellationToken);

    /// <summary>
    /// Finishes the delivery, adds what the target holds to the run's verification and reports the restore;
    /// throws <see cref="VerificationFailedException"/> when the target does not hold what the backups do.
    /// </summary>
    Task<RecoveryResult> FinishAsync(RestoreRun run, CancellationToken cancellationToken);
}
