using System.IO.Pipelines;
using SpanRecovery.Otlp;
using SpanRecovery.Restore;
using SpanRecovery.Validation;

namespace SpanRecovery.Repair;

/// <summary>What a repair writes and keeps (docs/repair.md).</summary>
/// <param name="Output">The directory the clean copy goes to: new or empty, outside every input.</param>
/// <param name="Quarantine">Where <c>quarantine.jsonl</c> goes; null: removed spans are not kept.</param>
/// <param name="KeepIdenticalDuplicates">Keep byte-identical repeats (removed by default).</param>
internal sealed record RepairOptions(string Output, string? Quarantine = null, bool KeepIdenticalDuplicates = false);

/// <summary>
/// Writes a clean copy of an archive (docs/repair.md) in two passes. The first validates the inputs exactly as
/// <c>validate</c> does — in memory or partitioned within the memory limit — and notes where every span to
/// remove is (<see cref="RemovalPlan"/>). The second rewrites each input file in its own format without those
/// spans (<see cref="RepairingRecordSink"/>). The clean copy is then validated again. Inputs are only read.
/// </summary>
internal static class ArchiveRepair
{
    public static async Task<RepairResult> RunAsync(
        IReadOnlyList<string> paths, RepairOptions options, ValidationOptions validation, ReaderOptions reader, CancellationToken cancellationToken = default)
    {
        var inputs = RepairInputs.Plan(paths, options.Output, options.Quarantine);
        var plan = new RemovalPlan(options.KeepIdenticalDuplicates);
        var files = inputs.Select(i => i.Path).ToList();
        var before = await ArchiveValidation.ValidateAsync(
            files, validation with { FindingObserver = plan, ExpectedSpans = ArchiveValidation.EstimateSpans(files) }, reader, cancellationToken: cancellationToken);

        Directory.CreateDirectory(options.Output);
        var repaired = new List<RepairedFile>();
        var removed = new List<KeyValuePair<Rule, long>>();
        var outputs = new List<string>();
        long unreadableSpans = 0;
        using var quarantine = options.Quarantine is null ? null : new QuarantineWriter(options.Quarantine);
        for (var index = 0; index < inputs.Count; index++)
        {
            var input = inputs[index];
            var read = before.Inputs[index];
            if (read.Error is not null)
            {
                repaired.Add(new RepairedFile(input.Path, null, null, null, read.Spans, 0, 0, [read.Error]));
                continue;
            }

            var output = Path.Combine(options.Output, input.Relative);
            Directory.CreateDirectory(Path.GetDirectoryName(output)!);
            var (sink, format) = await RewriteAsync(index, input.Path, output, plan, quarantine, reader, cancellationToken);
            outputs.Add(output);
            removed.AddRange(sink.Removed);
            unreadableSpans += sink.SpansInUnreadableRecords;
            var problems = sink.Problems.Select(p => $"offset {p.Offset}: {p.Message} (left out)").Concat(sink.QuarantineProblems).ToList();
            // The plan is only right for the bytes the first pass read.
            if (sink.SpansRead + sink.SpansInUnreadableRecords != read.Spans)
                problems.Add($"changed while it was repaired: {read.Spans} spans in the first pass, {sink.SpansRead + sink.SpansInUnreadableRecords} in the second");
            repaired.Add(new RepairedFile(input.Path, output, format.Framing?.Name(), format.Framing is null ? null : format.Compression.Name(),
                read.Spans, sink.SpansKept, sink.SpansRead - sink.SpansKept, problems));
        }

        var after = await ArchiveValidation.ValidateAsync(
            outputs, validation with { ExpectedSpans = ArchiveValidation.EstimateSpans(outputs) }, reader, cancellationToken: cancellationToken);
        return new RepairResult(before.Totals.Spans, after.Totals.Spans, repaired.Sum(f => f.SpansRemoved), RepairResult.ByRuleId(removed),
            repaired, quarantine?.Spans, unreadableSpans, after.Totals.Errors + (after.HasInputErrors ? 1 : 0));
    }

    /// <summary>One input through the filters into its clean copy; a copy that kept no record is an empty file (which reads as no spans).</summary>
    private static async Task<(RepairingRecordSink Sink, InputDescription Format)> RewriteAsync(
        int index, string input, string output, RemovalPlan plan, QuarantineWriter? quarantine, ReaderOptions reader, CancellationToken cancellationToken)
    {
        RepairingRecordSink sink;
        var format = new InputDescription(null, InputCompression.None);
        await using (var records = new ArchiveFileOutput(output))
        {
            sink = new RepairingRecordSink(index, plan, records, quarantine);
            FileStream file;
            try
            {
                file = new FileStream(input, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0, FileOptions.SequentialScan);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                sink.OnInputProblem(new InputProblem(InputProblemKind.Unreadable, 0, e.Message));
                return (sink, format);
            }

            await using (file)
                format = await TraceFileReader.ReadRecordsAsync(PipeReader.Create(file, TraceFileReader.FileReadOptions), sink, reader, cancellationToken);
        }

        if (!File.Exists(output))
            await File.WriteAllBytesAsync(output, [], cancellationToken);
        return (sink, format);
    }
}
