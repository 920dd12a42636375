using System.CommandLine;
using SpanRecovery.Repair;

namespace SpanRecovery.Cli.Commands;

/// <summary><c>spanrecovery repair PATH… --out DIR</c>: a clean copy of an archive (docs/repair.md).</summary>
internal static class RepairCommand
{
    public static Command Create()
    {
        var paths = new Argument<string[]>("paths") { Description = "Files and directories, validated together as one data set and copied without their invalid spans", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--out") { Description = "New or empty directory for the clean copy (outside every input)", Required = true };
        var keepIdentical = new Option<bool>("--keep-identical-duplicates") { Description = "Keep byte-identical repeats of a span (exporter retries); removed by default" };
        var quarantine = new Option<string?>("--quarantine") { Description = "Directory for quarantine.jsonl: every removed span with its resource, scope and rule ids" };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON" };
        // The options repair shares with validate; examples are not printed, so --max-examples is not one of them.
        var rules = ValidateCommand.RuleOptions();
        var (maxDuration, maxRecord, inputFormat) = (rules.MaxDuration, rules.MaxRecord, rules.InputFormat);
        var memory = new MemoryOptions();

        var command = new Command("repair", "Write a clean copy of trace archives: spans with errors and identical repeats removed, each file in its own format")
        {
            paths, output, keepIdentical, quarantine, json, maxDuration, maxRecord, inputFormat,
        };
        memory.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            ValidateCommand.RefuseOptionLikePaths(parse.GetValue(paths)!);
            var validation = memory.Apply(parse, new() { MaxExamples = 0, MaxDuration = DurationParser.Parse(parse.GetValue(maxDuration)!) });
            var reader = ValidateCommand.ReaderOptionsFrom(parse.GetValue(maxRecord), parse.GetValue(inputFormat));
            var options = new RepairOptions(parse.GetValue(output)!, parse.GetValue(quarantine), parse.GetValue(keepIdentical));
            var result = await ArchiveRepair.RunAsync(parse.GetValue(paths)!, options, validation, reader, cancellationToken);
            foreach (var file in result.Files)
            {
                foreach (var problem in file.Problems)
                    Console.Error.WriteLine($"spanrecovery: error: {file.Input}: {problem}");
            }

            if (parse.GetValue(json))
                JsonOutput.Write(result);
            else
                PrintText(result);
            return result.ExitCode;
        });
        return command;
    }

    internal static void PrintText(RepairResult result)
    {
        Console.WriteLine($"repair: {result.Files.Count(f => f.Output is not null)} of {result.Files.Count} files written");
        Console.WriteLine($"  spans in       {result.SpansIn:N0}");
        Console.WriteLine($"  removed        {result.SpansRemoved:N0}{(result.SpansInUnreadableRecords > 0 ? $" (and {result.SpansInUnreadableRecords:N0} in records that could not be read)" : "")}");
        foreach (var (rule, count) in result.Removed)
            Console.WriteLine($"    {rule,-26} {count:N0}");
        Console.WriteLine($"  spans out      {result.SpansOut:N0}");
        if (result.Quarantined is { } quarantined)
            Console.WriteLine($"  quarantined    {quarantined:N0}");
        Console.WriteLine(result.OutputErrors == 0
            ? "  the clean copy validates with no error"
            : $"  the clean copy still has {result.OutputErrors:N0} errors");
    }
}
