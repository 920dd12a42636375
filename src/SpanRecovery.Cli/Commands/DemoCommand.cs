using System.CommandLine;
using SpanRecovery.Generation;
using SpanRecovery.Otlp;
using SpanRecovery.Repair;
using SpanRecovery.Repository;
using SpanRecovery.Restore;
using SpanRecovery.Validation;

namespace SpanRecovery.Cli.Commands;

/// <summary>
/// <c>spanrecovery demo</c>: the main job end to end on a built-in data set. It generates a collector-style
/// archive (zstd per record, several rotated files, 0.5 % defects) and validates it with the real pipeline,
/// then checks the report against the counts the generator knows; then backs the archive up into a fresh
/// repository and restores it, which must give back every file byte for byte; last it repairs the archive,
/// whose clean copy must validate with no error.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var directory = new Option<string?>("--dir") { Description = "Where to write the demo archive (default: a new temporary directory, removed afterwards)" };
        var spans = new Option<int>("--spans") { Description = "Spans in the demo archive", DefaultValueFactory = _ => 200_000 };
        var format = new Option<string>("--format") { Description = "Report format", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json");

        var command = new Command("demo", "Generate a default archive, validate it and print the report, back it up and restore it, then repair it") { directory, spans, format };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var keep = parse.GetValue(directory);
            var target = keep ?? Path.Combine(Path.GetTempPath(), $"spanrecovery-demo-{Environment.ProcessId}");
            var work = Path.Combine(Path.GetTempPath(), $"spanrecovery-demo-{Environment.ProcessId}-repository");
            try
            {
                var options = new GeneratorOptions(parse.GetValue(spans), Seed: 2026, Files: 4, DefectRate: 0.005,
                    Compression: InputCompression.ZstdRecord);
                Console.Error.WriteLine($"spanrecovery demo: generating {options.Spans:N0} spans in {options.Files} collector-style files (zstd per record) in {target}");
                var archive = GenerateCommand.Generate(target, options);

                var report = await ValidateCommand.RunAsync([target], new ValidationOptions(), new ReaderOptions(), cancellationToken);
                ValidateCommand.Print(report, parse.GetValue(format) == "json");
                var validated = CheckAgainstExpected(report, archive.Expected);
                var restored = await BackUpAndRestoreAsync(target, work, cancellationToken);
                var repaired = await RepairAsync(target, work, cancellationToken);
                return new[] { validated, restored, repaired }.FirstOrDefault(code => code != ExitCodes.Ok);
            }
            finally
            {
                if (keep is null && Directory.Exists(target))
                    Directory.Delete(target, recursive: true);
                if (Directory.Exists(work))
                    Directory.Delete(work, recursive: true);
            }
        });
        return command;
    }

    /// <summary>Full backup of the archive into a new repository, then restore: exit 0 when every file comes back byte for byte.</summary>
    private static async Task<int> BackUpAndRestoreAsync(string archive, string work, CancellationToken cancellationToken)
    {
        var repository = BackupRepository.Init(Path.Combine(work, "repo"), BackupStrategy.ThreeTwoOne);
        var backup = await new BackupManager(repository).CreateBackupAsync(archive, cancellationToken: cancellationToken);
        var restoredTo = Path.Combine(work, "restored");
        var result = await new RecoveryManager(repository).RestoreFromBackupAsync(backup.Manifest.Name, restoredTo, cancellationToken: cancellationToken);
        var identical = Directory.EnumerateFiles(archive, "*", SearchOption.AllDirectories).All(file =>
            File.ReadAllBytes(file).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(restoredTo, Path.GetRelativePath(archive, file)))));
        var totals = backup.Manifest.Totals;
        Console.Error.WriteLine(identical && result.Verified
            ? $"spanrecovery demo: backed up {totals.Spans:N0} spans ({totals.SourceBytes:N0} bytes → {totals.StoredBytes:N0} stored) in {backup.Duration.TotalSeconds:0.00} s "
                + $"and restored all {result.Files} files byte for byte, verified, in {result.DurationSeconds:0.00} s"
            : "spanrecovery demo: MISMATCH: the restored archive differs from the one backed up");
        return identical && result.Verified ? ExitCodes.Ok : ExitCodes.IntegrityProblem;
    }

    /// <summary>A clean copy of the archive with its removed spans quarantined: exit 0 when it validates with no error.</summary>
    private static async Task<int> RepairAsync(string archive, string work, CancellationToken cancellationToken)
    {
        var options = new RepairOptions(Path.Combine(work, "repaired"), Path.Combine(work, "quarantine"));
        var result = await ArchiveRepair.RunAsync([archive], options, new ValidationOptions(), new ReaderOptions(), cancellationToken);
        var clean = result.ExitCode == ExitCodes.Ok;
        Console.Error.WriteLine($"spanrecovery demo: repaired the archive: {result.SpansIn:N0} spans in, {result.SpansRemoved:N0} removed "
            + $"({string.Join(", ", result.Removed.Select(r => $"{r.Key} {r.Value:N0}"))}) and quarantined, {result.SpansOut:N0} out; "
            + (clean ? "the clean copy validates with no error" : $"MISMATCH: the clean copy has {result.OutputErrors:N0} errors or lost spans"));
        return clean ? ExitCodes.Ok : ExitCodes.IntegrityProblem;
    }

    /// <summary>The demo data has known defects: exit 0 when the report finds exactly them, 1 otherwise.</summary>
    private static int CheckAgainstExpected(ValidationReport report, ExpectedCounts expected)
    {
        var found = report.RuleCounts.ToDictionary(r => r.Key.Id(), r => r.Value);
        var same = report.Totals.Spans == expected.Spans && report.Totals.Traces == expected.Traces
            && report.Totals.InvalidSpans == expected.InvalidSpans && !report.HasInputErrors
            && found.Count == expected.Rules.Count && expected.Rules.All(r => found.GetValueOrDefault(r.Key) == r.Value);
        Console.Error.WriteLine(same
            ? "spanrecovery demo: the report matches the defects the generator injected exactly"
            : $"spanrecovery demo: MISMATCH with the injected defects; expected {expected.ToJson()}");
        return same ? ExitCodes.Ok : ExitCodes.IntegrityProblem;
    }
}
