using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using SpanRecovery.Repository;
using SpanRecovery.Validation;

namespace SpanRecovery.Restore;

/// <summary>Restore into a live OTLP/HTTP backend.</summary>
public sealed partial class RecoveryManager
{
    /// <summary>
    /// Sends the chain's spans (all, or those ended by the time) to an OTLP/HTTP backend, with a resume
    /// journal in the repository so a rerun after an interruption skips what the backend acknowledged.
    /// </summary>
    private async Task<RecoveryResult> RestoreToBackendAsync(
        RestorePlan plan, List<IReadOnlyList<ChainFile>> chains, Uri endpoint, RestoreVerification verification, RestoreOptions options, CancellationToken cancellationToken)
    {
        var http = options.Http ?? new OtlpHttpOptions();
        var names = plan.Backups.Select(b => b.Name).ToList();
        var key = string.Join('|', endpoint.AbsoluteUri, string.Join(',', names), plan.PointInTimeUnixNano?.ToString(CultureInfo.InvariantCulture) ?? "all", http.MaxBatchBytes);
        var journal = JournalPath(key, options);

        var selection = plan.PointInTimeUnixNano is { } time ? SpanSelection.EndedBy(time, secondChain: chains.Count > 1) : SpanSelection.All();
        var tally = new SpanRuleTally(validationOptions);
        var kept = new SegmentSpanTally(tally);
        long dropped = 0;
        var files = 0;
        OtlpDeliveryResult delivery;
        await using (var target = new OtlpHttpTarget(endpoint, http, journal, key, log: options.Log))
        {
            var output = new HttpRecordOutput(target, cancellationToken);
            for (var chain = 0; chain < chains.Count; chain++)
            {
                selection.ReadingSecondChain = chain > 0;
                foreach (var file in chains[chain].Where(f => f.LinkTarget is null))
                {
                    var sink = new RestoringRecordSink(file.Path, output, selection, kept, options.Log);
                    if (await ReadRecordsAsync(file, sink, verification, options, cancellationToken) is { Framing: null } && file.Length > 0)
                        options.Log?.WriteLine($"spanrecovery: warning: {file.Path} is in no known trace format; not sent");
                    dropped += sink.SpansDropped;
                    files++;
                }
            }

            delivery = await target.CompleteAsync(cancellationToken);
        }

        verification.Expect(delivery.Complete, $"{delivery.Failures.Count} batches were not delivered: {string.Join("; ", delivery.Failures)}");
        verification.Expect(delivery.SpansSent + delivery.SpansSkipped == kept.Spans,
            $"{delivery.SpansSent + delivery.SpansSkipped} spans were sent or acknowledged before, {kept.Spans} were read");
        verification.Expect(delivery.SpansRejected == 0, $"the backend rejected {delivery.SpansRejected} spans (partial success)");
        verification.ExpectNoNewErrors(tally, plan.Backups);
        var result = new RecoveryResult(names, kept.Spans, delivery.BytesSent, 0, endpoint.AbsoluteUri, verification.Ok, null, null, files, dropped, delivery);
        if (!verification.Ok)
            throw new VerificationFailedException($"the restore to {endpoint} is incomplete: {string.Join("; ", verification.Problems)}") { Result = result };
        return result;
    }

    /// <summary>
    /// The resume journal of one restore (target, backups, time, batch size) in <c>REPO/restore-journals/</c>;
    /// null, with a warning, when the repository cannot be written (a read-only copy): the restore then runs
    /// without resume.
    /// </summary>
    private string? JournalPath(string key, RestoreOptions options)
    {
        var directory = Path.Combine(repository.Path, "restore-journals");
        try
        {
            Directory.CreateDirectory(directory);
            var path = Path.Combine(directory, $"{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..16]}.journal");
            File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite).Dispose();
            return path;
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            options.Log?.WriteLine($"spanrecovery: warning: no resume journal ({e.Message}); an interrupted restore will send everything again");
            return null;
        }
    }
}
