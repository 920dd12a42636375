using System.Text.Json;
using System.Text.RegularExpressions;
using SpanRecovery.Generation;
using SpanRecovery.Otlp;
using SpanRecovery.Repository;
using SpanRecovery.Restore;
using SpanRecovery.Tests.RepositoryBackups;
using SpanRecovery.Validation;

namespace SpanRecovery.Tests;

/// <summary>
/// docs/library.md's code, compiled and run: each test holds a section's ```csharp block verbatim between the
/// data it needs and assertions on what it did (the sink's types are at the end of this file), and the last
/// test checks that every block of the page is still here. The blocks use only the supported public types the page lists, as another program would; the
/// archives and the damage come from test helpers.
/// </summary>
public sealed partial class LibraryUsageTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Validating_a_directory_counts_what_the_generator_injected_and_writes_the_json_report()
    {
        var archiveDirectory = _dir.File("archive");
        var reportPath = _dir.File("report.json");
        var archive = ArchiveGenerator.Generate(archiveDirectory,
            new GeneratorOptions(3_000, Seed: 11, Files: 2, DefectRate: 0.05, Compression: InputCompression.ZstdRecord));

        var report = await ArchiveValidation.ValidateAsync(
            [archiveDirectory],                 // files and directories, read in name order as one data set
            new ValidationOptions { MaxDuration = TimeSpan.FromHours(24), MaxExamples = 3 },
            new ReaderOptions { MaxRecordBytes = 16 * 1024 * 1024 });

        var totals = report.Totals;
        Console.WriteLine($"{totals.Spans} spans, {totals.Traces} traces, {totals.InvalidSpans} invalid, {totals.Errors} errors, {totals.Warnings} warnings");
        foreach (var (rule, count) in report.RuleCounts)
            Console.WriteLine($"{rule.Id()} ({rule.Severity()}): {count}");
        foreach (var finding in report.Examples)      // at most MaxExamples per rule
            Console.WriteLine($"{finding.Rule.Id()} {finding.Path} @{finding.Offset} trace {finding.TraceId}: {finding.Message}");

        using (var json = File.Create(reportPath))
            ValidationReportWriter.WriteJson(report, json);     // the JSON of docs/report-json.md

        var exitCode = report.ExitCode;     // 0 clean, 1 span errors, 2 an input could not be fully read

        Assert.Equal(archive.Expected.Spans, totals.Spans);
        Assert.Equal(archive.Expected.Traces, totals.Traces);
        Assert.Equal(archive.Expected.InvalidSpans, totals.InvalidSpans);
        Assert.Equal(archive.Expected.Rules.OrderBy(r => r.Key, StringComparer.Ordinal),
            report.RuleCounts.Select(r => KeyValuePair.Create(r.Key.Id(), r.Value)).OrderBy(r => r.Key, StringComparer.Ordinal));
        Assert.All(report.Examples.GroupBy(e => e.Rule), examples => Assert.InRange(examples.Count(), 1, 3));
        Assert.Equal(1, exitCode);
        using var written = JsonDocument.Parse(File.ReadAllBytes(reportPath));
        Assert.Equal(totals.Spans, written.RootElement.GetProperty("totals").GetProperty("spans").GetInt64());
    }

    [Fact]
    public async Task Backups_capture_a_growing_directory_and_verify_deeply()
    {
        var collectorDirectory = _dir.File("collector");
        var repositoryDirectory = _dir.File("repo");
        var archive = ArchiveGenerator.Generate(collectorDirectory, new GeneratorOptions(2_000, Seed: 12, Files: 2));

        BackupRepository repository;
        try
        {
            repository = BackupRepository.Open(repositoryDirectory);
        }
        catch (RepositoryException e) when (e.Error == RepositoryError.RepositoryNotFound)
        {
            repository = BackupRepository.Init(repositoryDirectory, BackupStrategy.ThreeTwoOne);
        }

        var backups = new BackupManager(repository);
        var backup = await backups.CreateBackupAsync(collectorDirectory, BackupType.Incremental);  // a full one in an empty repository
        foreach (var skipped in backup.Skipped)
            Console.Error.WriteLine($"not captured: {skipped.Path}: {skipped.Reason}");
        Console.WriteLine($"{backup.Metadata.Name}: {backup.Manifest.Totals.Spans} spans, {backup.Manifest.Validation.Errors} validation errors recorded");

        foreach (var each in backups.ListBackups())     // oldest first
            Console.WriteLine($"{each.Name} {each.Type} {each.Timestamp:u} {each.Size} bytes");

        var check = await backups.VerifyAsync(deep: true);  // every backup; deep re-reads and re-validates the spans
        foreach (var damage in check.Damaged)
            Console.Error.WriteLine($"damaged: {damage.Path}: {damage.Problem}");

        Assert.Equal(BackupType.Full, backup.Metadata.Type);
        Assert.Equal(archive.Expected.Spans, backup.Manifest.Totals.Spans);
        Assert.Empty(backup.Skipped);
        Assert.True(check.Ok);

        // The collector appends; the next backup of the same repository captures only the new records.
        RepositoryTestKit.Append(archive.Files[0], RepositoryTestKit.Records(500, 4, 6));
        var next = await new BackupManager(BackupRepository.Open(repositoryDirectory)).CreateBackupAsync(collectorDirectory, BackupType.Incremental);

        Assert.Equal(BackupType.Incremental, next.Metadata.Type);
        Assert.Equal(10, next.Manifest.Totals.Spans);
        Assert.Equal([backup.Metadata.Name, next.Metadata.Name], backups.ListBackups().Select(b => b.Name));
        Assert.True((await backups.VerifyAsync(deep: true)).Ok);
    }

    [Fact]
    public async Task Restores_give_the_files_back_byte_for_byte_and_failures_map_to_exit_codes()
    {
        var collectorDirectory = _dir.File("collector");
        var targetDirectory = _dir.File("restored");
        var otherDirectory = _dir.File("as-of-now");
        var archive = ArchiveGenerator.Generate(collectorDirectory, new GeneratorOptions(2_000, Seed: 13, Files: 2));
        var repository = BackupRepository.Init(_dir.File("repo"), BackupStrategy.ThreeTwoOne);
        var backups = new BackupManager(repository);
        await backups.CreateBackupAsync(collectorDirectory);

        // What the spanrecovery CLI's exit codes (docs/commands.md) make of a restore.
        static async Task<int> RestoreAsync(BackupRepository repository, string backupName, string targetDirectory)
        {
            try
            {
                var result = await new RecoveryManager(repository).RestoreFromBackupAsync(backupName, targetDirectory,
                    new RestoreOptions(PreHook: "echo stop the collector here", PostHook: "echo start it again here", Log: Console.Error));
                Console.WriteLine($"{result.Files} files, {result.Spans} spans, {result.Bytes} bytes from {string.Join(", ", result.Backups)} in {result.DurationSeconds:0.0} s");
                return result.Verified ? 0 : 1;    // false only with RestoreOptions.Force
            }
            catch (RecoveryException e)
            {
                // The target directory was not replaced; e.Result tells how far the restore got.
                Console.Error.WriteLine($"{e.Message} (pre-hook exit {e.Result?.PreHookExit}, post-hook exit {e.Result?.PostHookExit})");
                return e switch
                {
                    BackupNotFoundException => 3,
                    RestoreTargetRefusedException or TargetWriteFailedException => 2,
                    _ => 1,     // CorruptedBackupException, VerificationFailedException, HookFailedException
                };
            }
        }

        var exitCode = await RestoreAsync(repository, backups.ListBackups()[^1].Name, targetDirectory);

        var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000;    // Unix nanoseconds
        var asOfNow = await new RecoveryManager(repository).RestoreToPointInTimeAsync(now, otherDirectory);
        Console.WriteLine($"{asOfNow.Spans} spans had ended by then, {asOfNow.SpansDropped} later ones were left out");

        Assert.Equal(0, exitCode);
        Assert.Equal(RepositoryTestKit.Snapshot(collectorDirectory), RepositoryTestKit.Snapshot(targetDirectory));
        Assert.True(asOfNow.Verified);
        Assert.Equal(archive.Expected.Spans, asOfNow.Spans);
        Assert.Equal(0, asOfNow.SpansDropped);

        var name = backups.ListBackups()[^1].Name;
        Assert.Equal(3, await RestoreAsync(repository, "20250101-000000F", targetDirectory));
        Assert.Equal(2, await RestoreAsync(repository, name, repository.Path));
        var segment = (await repository.ReadManifestAsync(name)).Segments[0].Name;
        RepositoryTestKit.FlipByte(repository.SegmentPath(name, segment), 100);
        Assert.Equal(1, await RestoreAsync(repository, name, targetDirectory));
        Assert.Equal(RepositoryTestKit.Snapshot(collectorDirectory), RepositoryTestKit.Snapshot(targetDirectory));
    }

    [Fact]
    public async Task A_span_sink_sees_every_span_and_each_input_problem()
    {
        var archiveDirectory = _dir.File("archive");
        var archive = ArchiveGenerator.Generate(archiveDirectory, new GeneratorOptions(2_000, Seed: 14, Files: 2));
        RepositoryTestKit.Append(archive.Files[1], [0, 0, 1, 0]);  // a record length with no record after it

        var counts = new SpanCounts();
        foreach (var file in Directory.EnumerateFiles(archiveDirectory).Order(StringComparer.Ordinal))
        {
            var format = await TraceFileReader.ReadFileAsync(file, new CountingSink(counts), new ReaderOptions());
            Console.WriteLine($"{file}: {format.Framing?.Name() ?? "not a trace file"}, {format.Compression.Name()}");
        }

        Console.WriteLine($"{counts.Spans} spans, {counts.LongerThanASecond} longer than a second");
        foreach (var problem in counts.Problems)
            Console.Error.WriteLine($"{problem.Kind} at byte {problem.Offset}: {problem.Message}");

        Assert.Equal(archive.Expected.Spans, counts.Spans);
        Assert.InRange(counts.LongerThanASecond, 1, counts.Spans - 1);
        Assert.Equal(InputProblemKind.FrameTruncated, Assert.Single(counts.Problems).Kind);
    }

    [Fact]
    public void Every_csharp_block_of_docs_library_md_is_code_these_tests_run()
    {
        var page = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "docs", "library.md"));
        var tests = Normalized(File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "tests", "SpanRecovery.Tests", "LibraryUsageTests.cs")));
        var blocks = page.Split("```csharp\n").Skip(1).Select(b => b.Split("```", 2)[0]).ToList();

        Assert.NotEmpty(blocks);
        Assert.All(blocks, block => Assert.Contains(Normalized(block), tests, StringComparison.Ordinal));
    }

    [Fact]
    public void Every_type_docs_library_md_lists_as_the_supported_api_is_public()
    {
        var page = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "docs", "library.md"));
        var list = page.Split("## The supported API", 2)[1];
        // One bullet per namespace: "- `Namespace`: `Type`, `Type.Member`, `Type` (`Member`, ...), ..."
        var types = list.Split("\n- ").Skip(1).SelectMany(bullet =>
        {
            var names = BacktickedName().Matches(ParenthesizedText().Replace(bullet, "")).Select(m => m.Groups[1].Value).ToList();
            return names.Skip(1).Select(type => $"{names[0]}.{type}");
        }).ToList();

        Assert.True(types.Count > 30, string.Join(", ", types));
        Assert.All(types, name => Assert.True(typeof(ArchiveValidation).Assembly.GetType(name)?.IsPublic, name));
    }

    [GeneratedRegex(@"`([\w.]+?)(?:\.[A-Z]\w+Async)?`")]
    private static partial Regex BacktickedName();

    [GeneratedRegex(@"\([^)]*\)")]
    private static partial Regex ParenthesizedText();

    /// <summary>
    /// The code without indentation, blank lines and using directives (the page puts those in each block,
    /// this file once at the top), so that a block matches the same lines nested in a test method.
    /// </summary>
    private static string Normalized(string code) => string.Join("\n", code.Split('\n')
        .Select(line => line.Trim())
        .Where(line => line.Length > 0 && !UsingDirective().IsMatch(line)));

    [GeneratedRegex(@"^using [\w.]+;$")]
    private static partial Regex UsingDirective();
}

// The struct and the class of docs/library.md's "Reading spans yourself".
internal readonly struct CountingSink(SpanCounts counts) : ISpanSink
{
    public void OnSpan(in SpanView span)
    {
        counts.Spans++;
        if (span.EndTimeUnixNano > span.StartTimeUnixNano + 1_000_000_000)
            counts.LongerThanASecond++;
    }

    public void OnInputProblem(InputProblem problem) => counts.Problems.Add(problem);
}

internal sealed class SpanCounts
{
    public long Spans { get; set; }

    public long LongerThanASecond { get; set; }

    public List<InputProblem> Problems { get; } = [];
}
