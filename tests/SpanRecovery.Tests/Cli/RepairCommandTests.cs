using System.Text.Json;
using SpanRecovery.Generation;
using SpanRecovery.Otlp;
using SpanRecovery.Tests.OtlpReading;
using static SpanRecovery.Tests.Repair.RepairedArchive;

namespace SpanRecovery.Tests.CliProcess;

/// <summary><c>spanrecovery repair</c> as a process: its output, exit codes and refusals (docs/commands.md).</summary>
public sealed class RepairCommandTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Repair_writes_a_clean_copy_and_prints_its_counts()
    {
        var archive = _dir.File("archive");
        ArchiveGenerator.Generate(archive, new GeneratorOptions(Spans: 4000, Seed: 3, Files: 2, DefectRate: 0.03, Compression: InputCompression.ZstdRecord));

        var text = await Spanrecovery.RunAsync("repair", archive, "--out", _dir.File("text"));
        var json = await Spanrecovery.RunAsync("repair", archive, "--out", _dir.File("json"), "--json", "--quarantine", _dir.File("q"), "--partitions", "2");

        text.AssertClean(0);
        json.AssertClean(0);
        Assert.Contains("the clean copy validates with no error", text.StdOut, StringComparison.Ordinal);
        using var result = JsonDocument.Parse(json.StdOut);
        var root = result.RootElement;
        Assert.Equal(4000, root.GetProperty("spansIn").GetInt64());
        Assert.Equal(4000 - root.GetProperty("spansRemoved").GetInt64(), root.GetProperty("spansOut").GetInt64());
        Assert.Equal(root.GetProperty("spansRemoved").GetInt64(), root.GetProperty("quarantined").GetInt64());
        Assert.Contains($"  spans out      {root.GetProperty("spansOut").GetInt64():N0}", text.StdOut, StringComparison.Ordinal);
        Assert.Equal(Sha256s(_dir.File("text")).Values.Order(), Sha256s(_dir.File("json")).Values.Order());
    }

    [Fact]
    public async Task An_output_file_that_cannot_be_written_is_reported_naming_it()
    {
        var archive = _dir.File("archive");
        ArchiveGenerator.Generate(archive, new GeneratorOptions(Spans: 4000, Seed: 3, DefectRate: 0.03));
        var output = _dir.File("out");

        // No file may outgrow 256 KiB, as on a file system with a file-size limit; the copy needs about 1 MB.
        var repair = await Spanrecovery.RunWithFileSizeLimitAsync(256, "repair", archive, "--out", output);

        repair.AssertClean(2);
        Assert.Contains($"cannot write {Path.Combine(output, Path.GetFileName(Files(archive).Single()))}: the file would outgrow", repair.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("read failed", repair.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_quarantine_that_cannot_be_written_is_reported_naming_it()
    {
        var archive = _dir.File("archive");
        ArchiveGenerator.Generate(archive, new GeneratorOptions(Spans: 4000, Seed: 3, Files: 8, DefectRate: 0.3));
        var quarantine = _dir.File("q");

        // Copies of about 140 KB each fit under 256 KiB; the quarantine of about 1,200 spans as JSON does not.
        var repair = await Spanrecovery.RunWithFileSizeLimitAsync(256, "repair", archive, "--out", _dir.File("out"), "--quarantine", quarantine);

        repair.AssertClean(2);
        Assert.Contains($"cannot write {Path.Combine(quarantine, "quarantine.jsonl")}: the file would outgrow", repair.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("read failed", repair.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_output_or_quarantine_that_touches_an_input_is_refused_before_anything_is_written()
    {
        var archive = _dir.File("archive");
        ArchiveGenerator.Generate(archive, new GeneratorOptions(Spans: 200, DefectRate: 0.05));
        var file = Files(archive).Single();
        var before = Sha256s(_dir.Path);
        string[][] refused =
        [
            ["repair", archive, "--out", archive],
            ["repair", archive, "--out", Path.Combine(archive, "clean")],
            ["repair", file, "--out", archive],
            ["repair", archive, "--out", _dir.File("out"), "--quarantine", Path.Combine(archive, "q")],
            ["repair", archive, "--out", _dir.File("out"), "--quarantine", _dir.File("out/q")],
            ["repair", archive, Path.Combine(_dir.File("archive"), "..", "archive"), "--out", _dir.File("out")],
        ];

        foreach (var args in refused)
        {
            var run = await Spanrecovery.RunAsync(args);
            run.AssertClean(2);
            Assert.StartsWith("spanrecovery: ", run.StdErr, StringComparison.Ordinal);
        }

        Assert.Equal(before, Sha256s(_dir.Path));
        Assert.False(Directory.Exists(_dir.File("out")));
    }

    [Fact]
    public async Task A_non_empty_output_directory_is_refused()
    {
        var archive = _dir.File("archive");
        ArchiveGenerator.Generate(archive, new GeneratorOptions(Spans: 100));
        _dir.WriteFile("out/kept.txt", "mine"u8.ToArray());

        var run = await Spanrecovery.RunAsync("repair", archive, "--out", _dir.File("out"));

        run.AssertClean(2);
        Assert.Contains("is not empty", run.StdErr, StringComparison.Ordinal);
        Assert.Single(Files(_dir.File("out")));
    }

    [Fact]
    public async Task An_unreadable_record_and_an_unknown_file_are_left_out_and_reported_with_exit_2()
    {
        var good = TestInputs.Record(3, 1);
        _dir.WriteFile("archive/a.binpb", TestInputs.LengthPrefixed(good, [0x0A, 0xFF, 0xFF], TestInputs.Record(2, 2)));
        _dir.WriteFile("archive/notes.txt", "not traces\n"u8.ToArray());

        var run = await Spanrecovery.RunAsync("repair", _dir.File("archive"), "--out", _dir.File("out"), "--json");

        run.AssertClean(2);
        Assert.Contains($"a.binpb: offset {4 + good.Length}:", run.StdErr, StringComparison.Ordinal);
        Assert.Contains("notes.txt: not a known OTLP trace format", run.StdErr, StringComparison.Ordinal);
        using var result = JsonDocument.Parse(run.StdOut);
        Assert.Equal(5, result.RootElement.GetProperty("spansOut").GetInt64());
        Assert.Equal(["a.binpb"], Files(_dir.File("out")).Select(Path.GetFileName));
    }
}
