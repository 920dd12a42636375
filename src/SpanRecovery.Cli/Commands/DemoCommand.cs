using System.CommandLine;
using SpanRecovery.Generation;
using SpanRecovery.Otlp;
using SpanRecovery.Validation;

namespace SpanRecovery.Cli.Commands;

/// <summary>
/// <c>spanrecovery demo</c>: the main job end to end on a built-in data set. It generates a collector-style
/// archive (zstd per record, several rotated files, 0.5 % defects) and validates it with the real pipeline,
/// then checks the report against the counts the generator knows.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var directory = new Option<string?>("--dir") { Description = "Where to write the demo archive (default: a new temporary directory, removed afterwards)" };
        var spans = new Option<int>("--spans") { Description = "Spans in the demo archive", DefaultValueFactory = _ => 200_000 };
        var format = new Option<string>("--format") { Description = "Report format", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json");

        var command = new Command("demo", "Generate a default archive, validate it and print the report") { directory, spans, format };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var keep = parse.GetValue(directory);
            var target = keep ?? Path.Combine(Path.GetTempPath(), $"spanrecovery-demo-{Environment.ProcessId}");
            try
            {
                var options = new GeneratorOptions(parse.GetValue(spans), Seed: 2026, Files: 4, DefectRate: 0.005,
                    Compression: ArchiveCompression.ZstdRecord);
                Console.Error.WriteLine($"spanrecovery demo: generating {options.Spans:N0} spans in {options.Files} collector-style files (zstd per record) in {target}");
                var archive = GenerateCommand.Generate(target, options);

                var report = await ValidateCommand.RunAsync([target], new ValidationOptions(), new ReaderOptions(), cancellationToken);
                ValidateCommand.Print(report, parse.GetValue(format) == "json");
                return CheckAgainstExpected(report, archive.Expected);
            }
            finally
            {
                if (keep is null && Directory.Exists(target))
                    Directory.Delete(target, recursive: true);
            }
        });
        return command;
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
