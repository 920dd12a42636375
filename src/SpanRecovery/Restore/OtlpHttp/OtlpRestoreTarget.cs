using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using SpanRecovery.Repository;

namespace SpanRecovery.Restore;

/// <summary>Makes the exporter of one transport for a restore's endpoint.</summary>
internal delegate IBatchExporter ExporterFactory(Uri endpoint, OtlpHttpOptions options, TextWriter? log);

/// <summary>
/// A live backend that takes OTLP (docs/restore.md), through the transport <c>createExporter</c> makes: the kept
/// spans, shifted when the restore shifts them, are sent in batches with the restore's headers, with a resume
/// journal in the repository so a rerun after an interruption skips what the backend acknowledged and keeps
/// the first run's shift. The restore verifies when every batch was delivered, every span read was sent (now
/// or before), the backend rejected none, and, when asked, every span sent could be read back from the
/// backend's query API.
/// </summary>
internal sealed class OtlpRestoreTarget(string url, ExporterFactory createExporter) : IRestoreTarget
{
    private SentSpans? _sent;
    private Uri? _endpoint;
    private BatchDelivery? _sender;
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
            run.Plan.PointInTimeUnixNano?.ToString(CultureInfo.InvariantCulture) ?? "all", http.MaxBatchBytes,
            run.Options.ShiftTime?.ToString() ?? "unshifted", HeadersDigest(http.EffectiveHeaders));
        if (run.Options.Protocol == OtlpProtocol.Grpc)
            key += "|grpc";
        // The exporter first: headers its transport cannot carry are refused before a journal is made.
        var exporter = createExporter(_endpoint, http, run.Options.Log);
        var journal = OpenJournal(run, key);
        if (journal is not null && run.Options.ShiftTime is not null)
            KeepOneShift(run, journal);
        _kept = new SegmentSpanTally(run.Validation);
        _sent = run.Options.Readback is { } readback ? new SentSpans(readback.SampleTraces) : null;
        _sender = new BatchDelivery(exporter, http, journal, run.Options.Log, _sent);
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
        var readback = await ReadBackAsync(run, delivery, cancellationToken);
        var result = new RecoveryResult(run.BackupNames, kept, delivery.BytesSent, 0, _endpoint!.AbsoluteUri, verification.Ok, null, null, _files, run.SpansDropped, delivery, run.ShiftNanos)
        {
            Readback = readback,
        };
        if (!verification.Ok)
            throw new VerificationFailedException($"the restore to {_endpoint} is incomplete: {string.Join("; ", verification.Problems)}") { Result = result };
        return result;
    }

    /// <summary>
    /// Reads the restored spans back when asked to, once every batch is delivered (reading back an incomplete
    /// delivery would only wait out the time limit); spans it cannot find make the restore unverified.
    /// </summary>
    private async Task<ReadbackResult?> ReadBackAsync(RestoreRun run, OtlpDeliveryResult delivery, CancellationToken cancellationToken)
    {
        if (run.Options.Readback is not { } options || !delivery.Complete)
            return null;
        var headers = (run.Options.Http ?? new OtlpHttpOptions()).EffectiveHeaders;
        var readback = await TraceReadback.RunAsync(options, _sent!, headers, run.Options.Log, cancellationToken);
        run.Verification.Expect(readback.Verified, readback.Error is { } error
            ? $"read back from {readback.Url} failed: {error}"
            : $"read back from {readback.Url}: {readback.Missing} spans of {readback.Traces - readback.Complete} traces were not found (first: {string.Join(", ", readback.MissingSpans)})");
        return readback;
    }

    /// <summary>Stops the senders and releases the journal.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_sender is not null)
            await _sender.DisposeAsync();
    }

    /// <summary>
    /// The resume journal of one restore (target, backups, time, batch size, shift, headers) in
    /// <c>REPO/restore-journals/</c> (for a repository in an object store, in <c>spanrecovery-restore-journals/</c>
    /// of the temporary directory, since a journal is appended to as batches are acknowledged); null, with a
    /// warning, when that cannot be written (a read-only copy): the restore then runs without resume.
    /// </summary>
    private static ResumeJournal? OpenJournal(RestoreRun run, string key)
    {
        var directory = run.Repository.LocalDirectory is { } local
            ? Path.Combine(local, "restore-journals")
            : Path.Combine(Path.GetTempPath(), "spanrecovery-restore-journals", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(run.Repository.Path)))[..16]);
        try
        {
            Directory.CreateDirectory(directory);
            var path = Path.Combine(directory, $"{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..16]}.journal");
            File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite).Dispose();
            return new ResumeJournal(path, key);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            run.Options.Log?.WriteLine($"warning: no resume journal ({e.Message}); an interrupted restore will send everything again");
            return null;
        }
    }

    /// <summary>
    /// A rerun of an interrupted shifted restore applies the offset the first run applied (for <c>now</c> it
    /// would otherwise differ, and the backend would hold the spans at two offsets); a first run records its own.
    /// </summary>
    private static void KeepOneShift(RestoreRun run, ResumeJournal journal)
    {
        if (journal.ShiftNanos is not { } earlier)
        {
            journal.RecordShift(run.ShiftNanos);
            return;
        }

        if (earlier != run.ShiftNanos)
            run.Options.Log?.WriteLine($"resuming an interrupted restore: its time shift of {earlier} ns is kept");
        run.ShiftNanos = earlier;
    }

    /// <summary>
    /// Tells restores with different headers (another tenant) apart in the journal key without writing a
    /// header value into the journal: a hash of names and values.
    /// </summary>
    private static string HeadersDigest(IReadOnlyList<RequestHeader> headers) =>
        headers.Count == 0 ? "no headers"
            : Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', headers.Select(h => $"{h.Name}\n{h.Value}")))))[..16];
}
