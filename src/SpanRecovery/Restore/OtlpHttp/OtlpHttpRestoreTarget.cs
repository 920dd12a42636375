using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using SpanRecovery.Repository;

namespace SpanRecovery.Restore;

/// <summary>
/// A live backend that takes OTLP/HTTP (docs/restore.md): the kept spans are sent in batches, with a resume journal
/// in the repository so a rerun after an interruption skips what the backend acknowledged. The restore verifies
/// when every batch was delivered, every span read was sent (now or before) and the backend rejected none.
/// </summary>
internal sealed class OtlpHttpRestoreTarget(string url) : IRestoreTarget
{
    private Uri? _endpoint;
    private OtlpHttpTarget? _sender;
    private SegmentSpanTally? _kept;
    private int _files;

    public string Name => url;

    public void Check(BackupRepository repository, RestorePlan plan)
    {
        // Sending destroys nothing: the repository and the source are only read.
    }

    public void Open(RestoreRun run, CancellationToken cancellationToken)
    {
        var http = run.Options.Http ?? new OtlpHttpOptions();
        _endpoint = new Uri(url);
        var key = string.Join('|', _endpoint.AbsoluteUri, string.Join(',', run.BackupNames),
            run.Plan.PointInTimeUnixNano?.ToString(CultureInfo.InvariantCulture) ?? "all", http.MaxBatchBytes);
        var journal = JournalPath(run, key);
        _kept = new SegmentSpanTally(run.Validation);
        _sender = new OtlpHttpTarget(_endpoint, http, journal, key, log: run.Options.Log);
    }

    public async Task DeliverAsync(RestoreRun run, ChainFile file, CancellationToken cancellationToken)
    {
        if (await run.ReadRecordsAsync(file, new HttpRecordOutput(_sender!, cancellationToken), _kept!, cancellationToken) is { Framing: null } && file.Length > 0)
            run.Options.Log?.WriteLine($"warning: {SourcePath.Display(file.Path)} is in no known trace format; not sent");
        _files++;
    }

    public async Task<RecoveryResult> FinishAsync(RestoreRun run, CancellationToken cancellationToken)
    {
        var delivery = await _sender!.CompleteAsync(cancellationToken);
        var (verification, kept) = (run.Verification, _kept!.Spans);
        verification.Expect(delivery.Complete, $"{delivery.Failures.Count} batches were not delivered: {string.Join("; ", delivery.Failures)}");
        verification.Expect(delivery.SpansSent + delivery.SpansSkipped == kept,
            $"{delivery.SpansSent + delivery.SpansSkipped} spans were sent or acknowledged before, {kept} were read");
        verification.Expect(delivery.SpansRejected == 0, $"the backend rejected {delivery.SpansRejected} spans (partial success)");
        verification.ExpectNoNewErrors(run.Validation, run.Plan.Backups);
        var result = new RecoveryResult(run.BackupNames, kept, delivery.BytesSent, 0, _endpoint!.AbsoluteUri, verification.Ok, null, null, _files, run.SpansDropped, delivery);
        if (!verification.Ok)
            throw new VerificationFailedException($"the restore to {_endpoint} is incomplete: {string.Join("; ", verification.Problems)}") { Result = result };
        return result;
    }

    /// <summary>Stops the senders and releases the journal.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_sender is not null)
            await _sender.DisposeAsync();
    }

    /// <summary>
    /// The resume journal of one restore (target, backups, time, batch size) in <c>REPO/restore-journals/</c>
    /// (for a repository in an object store, in <c>spanrecovery-restore-journals/</c> of the temporary directory,
    /// since a journal is appended to as batches are acknowledged); null, with a warning, when that cannot be
    /// written (a read-only copy): the restore then runs without resume.
    /// </summary>
    private static string? JournalPath(RestoreRun run, string key)
    {
        var directory = run.Repository.LocalDirectory is { } local
            ? Path.Combine(local, "restore-journals")
            : Path.Combine(Path.GetTempPath(), "spanrecovery-restore-journals", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(run.Repository.Path)))[..16]);
        try
        {
            Directory.CreateDirectory(directory);
            var path = Path.Combine(directory, $"{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..16]}.journal");
            File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite).Dispose();
            return path;
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            run.Options.Log?.WriteLine($"warning: no resume journal ({e.Message}); an interrupted restore will send everything again");
            return null;
        }
    }
}
