using System.CommandLine;
using SpanRecovery.Otlp;
using SpanRecovery.Validation;

namespace SpanRecovery.Cli.Commands;

/// <summary><c>spanrecovery validate PATH…</c>: integrity findings for trace archives (docs/rules.md, docs/report-json.md, docs/scale-out.md).</summary>
internal static class ValidateCommand
{
    public static Command Create()
    {
        var paths = new Argument<string[]>("paths") { Description = "Files and directories, validated together as one data set", Arity = ArgumentArity.OneOrMore };
        var format = new Option<string>("--format") { Description = "Report format", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json");
        var (maxExamples, maxDuration, maxRecord, inputFormat, skewTolerance, maxTraceSpans) = RuleOptions();
        var tracesOut = TracesOutOption();
        var memory = new MemoryOptions();
        var workers = new Option<int?>("--workers") { Description = "Run as shard map and reduce tasks in N local processes (the cluster's code path on one machine)" };

        var command = new Command("validate", "Validate OTLP trace archives: IDs, timestamps, parent links, duplicates, cycles, traces")
        {
            paths, format, maxExamples, maxDuration, maxRecord, inputFormat, skewTolerance, maxTraceSpans, tracesOut,
        };
        memory.AddTo(command);
        command.Options.Add(workers);
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(workers) is < 1 or > 256)
                throw new UsageException("--workers must be 1 to 256");
            RefuseOptionLikePaths(parse.GetValue(paths)!);
            var validation = memory.Apply(parse, ValidationOptionsFrom(parse, maxExamples, maxDuration, skewTolerance, maxTraceSpans));
            await using var traces = OpenTracesOut(parse.GetValue(tracesOut));
            validation = validation with { TracesOut = traces };
            var reader = ReaderOptionsFrom(parse.GetValue(maxRecord), parse.GetValue(inputFormat));
            var report = parse.GetValue(workers) is { } count
                ? await LocalWorkers.ValidateAsync(parse.GetValue(paths)!, count, validation, reader, cancellationToken)
                : await RunAsync(parse.GetValue(paths)!, validation, reader, cancellationToken);
            Print(report, parse.GetValue(format) == "json");
            return report.ExitCode;
        });
        return command;
    }

    /// <summary>
    /// A paths argument takes any token, so an unknown option would be read as a path: one that looks like an
    /// option and names nothing is a typo (validate and repair).
    /// </summary>
    internal static void RefuseOptionLikePaths(IEnumerable<string> paths)
    {
        if (paths.FirstOrDefault(p => p.StartsWith('-') && !Path.Exists(p)) is { } unknown)
            throw new UsageException($"unknown option {unknown} (a file whose name starts with '-' is given as ./{unknown})");
    }

    /// <summary>The options that decide what the rules find; <c>shard plan</c> takes the same.</summary>
    internal static (Option<int> MaxExamples, Option<string> MaxDuration, Option<long> MaxRecord, Option<string?> InputFormat,
        Option<string> SkewTolerance, Option<int> MaxTraceSpans) RuleOptions()
    {
        var maxExamples = new Option<int>("--max-examples") { Description = "Examples kept per rule", DefaultValueFactory = _ => 10 };
        var maxDuration = new Option<string>("--max-duration") { Description = "Longer spans get duration-too-long (e.g. 24h, 90m)", DefaultValueFactory = _ => "24h" };
        var maxRecord = new Option<long>("--max-record-bytes") { Description = "Largest record accepted", DefaultValueFactory = _ => ReaderOptions.DefaultMaxRecordBytes };
        var inputFormat = new Option<string?>("--input-format") { Description = "Override framing detection: length-prefixed, json or raw" };
        inputFormat.AcceptOnlyFromAmong("length-prefixed", "json", "raw");
        var skewTolerance = new Option<string>("--skew-tolerance")
        {
            Description = "Clock skew allowed before child-starts-before-parent, child-ends-after-parent and event-outside-span (e.g. 50ms, 2s)",
            DefaultValueFactory = _ => "0s",
        };
        var maxTraceSpans = new Option<int>("--max-trace-spans") { Description = "Traces with more spans get trace-too-large", DefaultValueFactory = _ => 10_000 };
        return (maxExamples, maxDuration, maxRecord, inputFormat, skewTolerance, maxTraceSpans);
    }

    internal static ValidationOptions ValidationOptionsFrom(ParseResult parse, Option<int> maxExamples, Option<string> maxDuration, Option<string> skewTolerance, Option<int> maxTraceSpans) => new()
    {
        MaxExamples = Math.Max(0, parse.GetValue(maxExamples)),
        MaxDuration = DurationParser.Parse(parse.GetValue(maxDuration)!),
        SkewTolerance = DurationParser.Parse(parse.GetValue(skewTolerance)!),
        MaxTraceSpans = parse.GetValue(maxTraceSpans) is >= 1 and var max ? max : throw new UsageException("--max-trace-spans must be at least 1"),
    };

    /// <summary><c>--traces-out FILE</c>: one JSON line per trace with findings (validate and shard merge).</summary>
    internal static Option<string?> TracesOutOption() =>
        new("--traces-out") { Description = "Write one JSON line per trace with findings to this file" };

    /// <summary>Creates the <c>--traces-out</c> file, or null when not asked for; a file that cannot be created is a usage error.</summary>
    internal static FileStream? OpenTracesOut(string? path)
    {
        if (path is null)
            return null;
        try
        {
            return new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new UsageException($"--traces-out {path}: {e.Message}");
        }
    }

    internal static ReaderOptions ReaderOptionsFrom(long maxRecordBytes, string? framing)
    {
        if (maxRecordBytes <= 0 || maxRecordBytes > int.MaxValue)
            throw new UsageException($"--max-record-bytes must be between 1 and {int.MaxValue}");
        RecordFraming? parsed = null;
        if (framing is not null && InputFormatNames.TryParseFraming(framing, out var value))
            parsed = value;
        return new ReaderOptions { MaxRecordBytes = maxRecordBytes, Framing = parsed };
    }

    /// <summary>Validates with a progress bar when it takes a while.</summary>
    internal static Task<ValidationReport> RunAsync(IReadOnlyList<string> paths, ValidationOptions validation, ReaderOptions reader, CancellationToken cancellationToken)
    {
        var files = ArchiveValidation.ExpandInputs(paths);
        var total = files.Sum(f => File.Exists(f) ? new FileInfo(f).Length : 0);
        var progress = new ReadProgress();
        DataIntegrityValidator? validator = null;
        validation = validation with { ExpectedSpans = ArchiveValidation.EstimateSpans(files) };
        var work = ArchiveValidation.ValidateAsync(files, validation, reader, v => validator = v, progress, cancellationToken);
        return ProgressDisplay.RunAsync("validating", total, () => progress.Bytes, () => $"{validator?.SpansRead ?? 0:N0} spans", work);
    }

    /// <summary>The report on stdout; input problems also on stderr, one line each, naming path and offset.</summary>
    internal static void Print(ValidationReport report, bool json)
    {
        foreach (var input in report.Inputs.Where(i => i.Error is not null))
            Console.Error.WriteLine($"spanrecovery: error: {input.Path}: {input.Error}");
        foreach (var finding in report.Examples.Where(e => e.Rule.IsInputRule()))
        {
            var hint = finding.Message.Contains("record limit", StringComparison.Ordinal) ? " (raise it with --max-record-bytes)" : "";
            Console.Error.WriteLine($"spanrecovery: error: {finding.Path}: offset {finding.Offset}: {finding.Rule.Id()}: {finding.Message}{hint}");
        }
        if (json)
        {
            using var stdout = Console.OpenStandardOutput();
            ValidationReportWriter.WriteJson(report, stdout);
            stdout.Write("\n"u8);
        }
        else
        {
            Console.WriteLine(ValidationReportWriter.ToText(report));
        }
    }
}
