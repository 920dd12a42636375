using SpanRecovery.Otlp;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using SpanRecovery.Generation;
using SpanRecovery.Tests.OtlpReading;
using SpanRecovery.Tests.RepositoryBackups;
using SpanRecovery.Tests.Restore;

namespace SpanRecovery.Tests.CliProcess;

/// <summary>
/// The JSON the CLI prints, checked against the schemas users get in docs/schemas: every command's real
/// output must pass, and a report with a field missing or of the wrong type must not, so the schemas and
/// docs/report-json.md cannot drift from what the commands print.
/// </summary>
public sealed class ReportSchemaTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Every schema of docs/schemas by file name, built once: the library keeps built schemas in one registry.</summary>
    private static readonly Dictionary<string, JsonSchema> Schemas =
        Directory.EnumerateFiles(Path.Combine(TestPaths.RepositoryRoot, "docs", "schemas"), "*.schema.json")
            .ToDictionary(f => Path.GetFileName(f), f => JsonSchema.FromFile(f), StringComparer.Ordinal);

    /// <summary>The schema's verdict on <paramref name="json"/>, with every failing location and message.</summary>
    private static (bool Valid, string Errors) Evaluate(string schema, string json)
    {
        using var document = JsonDocument.Parse(json);
        var result = Schemas[schema].Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        var errors = (result.Details ?? []).Where(d => d.Errors is not null)
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Key}: {e.Value}"));
        return (result.IsValid, string.Join("\n", errors));
    }

    internal static void AssertMatches(string schema, CliResult run)
    {
        var (valid, errors) = Evaluate(schema, run.StdOut);
        Assert.True(valid, $"{schema}:\n{errors}\n{run}");
    }

    private static void AssertRejected(string schema, JsonNode changed)
    {
        var (valid, _) = Evaluate(schema, changed.ToJsonString());
        Assert.False(valid, $"{schema} accepts {changed.ToJsonString()}");
    }

    [Fact]
    public async Task Validate_reports_of_the_public_samples_match_the_schema()
    {
        string[] args = ["validate", "--format", "json",
            .. Directory.EnumerateFiles(TestPaths.Samples).Where(f => !f.EndsWith(".md", StringComparison.Ordinal)).Order(StringComparer.Ordinal)];

        var run = await Spanrecovery.RunAsync(args);

        run.AssertClean(1);
        AssertMatches("validate-report.schema.json", run);
    }

    [Fact]
    public async Task Validate_reports_with_findings_of_every_kind_and_unreadable_inputs_match_the_schema()
    {
        var archive = _dir.File("archive");
        ArchiveGenerator.Generate(archive, new GeneratorOptions(Spans: 4000, Seed: 5, Files: 2, DefectRate: 0.05, Compression: InputCompression.ZstdRecord));
        _dir.WriteFile("archive/notes.txt", "not traces\n"u8.ToArray());
        _dir.WriteFile("archive/cut.bin", TestInputs.LengthPrefixed(TestInputs.Record(2, 1))[..10]);

        var run = await Spanrecovery.RunAsync("validate", "--format", "json", archive, _dir.File("missing.bin"));

        run.AssertClean(2);
        AssertMatches("validate-report.schema.json", run);
        using var report = JsonDocument.Parse(run.StdOut);
        Assert.Equal(2, report.RootElement.GetProperty("inputs").EnumerateArray().Count(i => i.TryGetProperty("error", out _)));
        Assert.True(report.RootElement.GetProperty("rules").EnumerateObject().Count() >= 19, run.StdOut);
    }

    [Fact]
    public async Task Validate_report_of_a_clean_archive_matches_the_schema()
    {
        var archive = _dir.File("clean");
        ArchiveGenerator.Generate(archive, new GeneratorOptions(Spans: 1000, Encoding: RecordEncoding.Json, Compression: InputCompression.Gzip));

        var run = await Spanrecovery.RunAsync("validate", "--format", "json", archive);

        run.AssertClean(0);
        AssertMatches("validate-report.schema.json", run);
    }

    [Fact]
    public async Task The_report_schema_rejects_a_missing_field_a_wrong_type_and_an_undocumented_field()
    {
        var archive = _dir.File("archive");
        ArchiveGenerator.Generate(archive, new GeneratorOptions(Spans: 1000, DefectRate: 0.05));
        var run = await Spanrecovery.RunAsync("validate", "--format", "json", archive);
        AssertMatches("validate-report.schema.json", run);

        var missing = JsonNode.Parse(run.StdOut)!;
        missing["totals"]!.AsObject().Remove("errors");
        AssertRejected("validate-report.schema.json", missing);

        var wrongType = JsonNode.Parse(run.StdOut)!;
        wrongType["examples"]![0]!["offset"] = "0";
        AssertRejected("validate-report.schema.json", wrongType);

        var wrongSeverity = JsonNode.Parse(run.StdOut)!;
        wrongSeverity["rules"]!.AsObject().First().Value!["severity"] = "warning";
        AssertRejected("validate-report.schema.json", wrongSeverity);

        var extra = JsonNode.Parse(run.StdOut)!;
        extra["inputs"]![0]!["lines"] = 3;
        AssertRejected("validate-report.schema.json", extra);
    }

    [Fact]
    public async Task Repair_results_match_their_schema_and_it_rejects_a_missing_field_and_a_wrong_type()
    {
        var archive = _dir.File("archive");
        ArchiveGenerator.Generate(archive, new GeneratorOptions(Spans: 2000, Files: 2, DefectRate: 0.05, Encoding: RecordEncoding.Json));
        _dir.WriteFile("archive/notes.txt", "not traces\n"u8.ToArray());

        var run = await Spanrecovery.RunAsync("repair", archive, "--out", _dir.File("clean"), "--quarantine", _dir.File("q"), "--json");

        run.AssertClean(2);
        AssertMatches("repair.schema.json", run);
        var noRemoved = JsonNode.Parse(run.StdOut)!;
        noRemoved.AsObject().Remove("removed");
        AssertRejected("repair.schema.json", noRemoved);
        var countAsText = JsonNode.Parse(run.StdOut)!;
        countAsText["files"]![0]!["spansOut"] = "3";
        AssertRejected("repair.schema.json", countAsText);
    }

    [Fact]
    public async Task Backup_list_verify_and_restore_outputs_match_their_schemas()
    {
        var repo = _dir.File("repo");
        var source = _dir.File("source");
        _dir.WriteFile("source/a.bin", RepositoryTestKit.Records(1, 3, 2));
        _dir.WriteFile("source/b.jsonl", TestInputs.JsonLines(TestInputs.JsonDocument(4, 0), TestInputs.JsonDocument(4, 1)));
        (await Spanrecovery.RunAsync("repo", "init", repo)).AssertClean(0);

        var full = await Spanrecovery.RunAsync("backup", "--repo", repo, "--source", source, "--json");
        full.AssertClean(0);
        AssertMatches("backup.schema.json", full);
        RepositoryTestKit.Append(Path.Combine(source, "a.bin"), RepositoryTestKit.Records(7, 4));
        var incremental = await Spanrecovery.RunAsync("backup", "--repo", repo, "--source", source, "--json");
        incremental.AssertClean(0);
        AssertMatches("backup.schema.json", incremental);
        var name = JsonNode.Parse(incremental.StdOut)!["name"]!.GetValue<string>();

        var list = await Spanrecovery.RunAsync("backups", "list", "--repo", repo, "--json");
        list.AssertClean(0);
        AssertMatches("backups-list.schema.json", list);
        Assert.Equal(2, JsonNode.Parse(list.StdOut)!.AsArray().Count);

        var verified = await Spanrecovery.RunAsync("backups", "verify", "--repo", repo, "--json");
        verified.AssertClean(0);
        AssertMatches("backups-verify.schema.json", verified);

        var toDirectory = await Spanrecovery.RunAsync("restore", "--repo", repo, "--backup", name, "--target", _dir.File("restored"), "--json",
            "--pre-hook", "true", "--post-hook", "true");
        toDirectory.AssertClean(0);
        AssertMatches("restore.schema.json", toDirectory);

        await using (var receiver = new OtlpTestReceiver())
        {
            var toBackend = await Spanrecovery.RunAsync("restore", "--repo", repo, "--to-time", "2099-01-01T00:00:00Z",
                "--target", receiver.Endpoint.ToString(), "--json");
            toBackend.AssertClean(0);
            AssertMatches("restore.schema.json", toBackend);
            Assert.True(JsonNode.Parse(toBackend.StdOut)!["delivery"]!["complete"]!.GetValue<bool>(), toBackend.ToString());
        }

        await using (var rejecting = new OtlpTestReceiver(_ => new ReceiverReply.Accept(1, "span too old")))
        {
            var partly = await Spanrecovery.RunAsync("restore", "--repo", repo, "--to-time", "2099-01-01T00:00:00Z",
                "--target", rejecting.Endpoint.ToString(), "--shift-time", "now", "--json");
            partly.AssertClean(1);
            AssertMatches("restore.schema.json", partly);
            Assert.NotEmpty(JsonNode.Parse(partly.StdOut)!["delivery"]!["rejected"]!.AsArray());
        }

        var segment = Directory.EnumerateFiles(Path.Combine(repo, "backups", name), "*.seg.zst").First();
        RepositoryTestKit.FlipByte(segment, 0);
        var damaged = await Spanrecovery.RunAsync("backups", "verify", "--repo", repo, "--json");
        damaged.AssertClean(1);
        AssertMatches("backups-verify.schema.json", damaged);
        var refused = await Spanrecovery.RunAsync("restore", "--repo", repo, "--backup", name, "--target", _dir.File("restored"), "--json");
        refused.AssertClean(1);
        AssertMatches("restore.schema.json", refused);
    }

    [Fact]
    public async Task The_result_schemas_reject_a_missing_field_and_a_wrong_type()
    {
        _dir.WriteFile("source/a.bin", RepositoryTestKit.Records(1, 3));
        var repo = _dir.File("repo");
        (await Spanrecovery.RunAsync("repo", "init", repo)).AssertClean(0);
        var backup = await Spanrecovery.RunAsync("backup", "--repo", repo, "--source", _dir.File("source"), "--json");
        var name = JsonNode.Parse(backup.StdOut)!["name"]!.GetValue<string>();
        var restore = await Spanrecovery.RunAsync("restore", "--repo", repo, "--backup", name, "--target", _dir.File("restored"), "--json");
        var list = await Spanrecovery.RunAsync("backups", "list", "--repo", repo, "--json");
        AssertMatches("backup.schema.json", backup);
        AssertMatches("restore.schema.json", restore);
        AssertMatches("backups-list.schema.json", list);

        var noParent = JsonNode.Parse(backup.StdOut)!;
        noParent.AsObject().Remove("parent");
        AssertRejected("backup.schema.json", noParent);
        var spansAsText = JsonNode.Parse(backup.StdOut)!;
        spansAsText["spans"] = "3";
        AssertRejected("backup.schema.json", spansAsText);

        var verifiedAsText = JsonNode.Parse(restore.StdOut)!;
        verifiedAsText["verified"] = "true";
        AssertRejected("restore.schema.json", verifiedAsText);
        var noDelivery = JsonNode.Parse(restore.StdOut)!;
        noDelivery.AsObject().Remove("delivery");
        AssertRejected("restore.schema.json", noDelivery);

        var listedWithSkipped = JsonNode.Parse(list.StdOut)!;
        listedWithSkipped[0]!["skipped"] = new JsonArray();
        AssertRejected("backups-list.schema.json", listedWithSkipped);
    }
}
