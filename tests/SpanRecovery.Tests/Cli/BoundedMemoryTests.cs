using System.Text.Json.Nodes;
using SpanRecovery.Generation;
using SpanRecovery.Tests.CliProcess;
using SpanRecovery.Validation;

namespace SpanRecovery.Tests.Cli;

/// <summary>
/// docs/scale-out.md as a user meets it: an archive whose span table does not fit in the process's memory validates
/// exactly, with the report of an unbounded run, and spill files never outlive the run.
/// </summary>
public sealed class BoundedMemoryTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static JsonObject Report(CliResult result)
    {
        var json = JsonNode.Parse(result.StdOut)!.AsObject();
        json.Remove("elapsedSeconds");
        json.Remove("throughput");
        return json;
    }

    [Fact]
    public async Task An_archive_larger_than_a_capped_heap_validates_exactly()
    {
        // 1.2M spans: ~330 MB of protobuf and a ~80 MB span table, against a 96 MiB heap.
        var archive = _dir.File("archive");
        ArchiveGenerator.Generate(archive, new GeneratorOptions(1_200_000, Seed: 7, Files: 2, DefectRate: 0.01));
        var spill = Directory.CreateDirectory(_dir.File("spill")).FullName;
        // Hex without "0x": the native executable's runtime ignores the prefixed form that dotnet also accepts.
        var cappedHeap = new Dictionary<string, string> { ["DOTNET_GCHeapHardLimit"] = "6000000" };

        // Unbounded, 1.2M spans are partitioned in memory for speed; --partitions 0 keeps them in one table.
        var unbounded = await Spanrecovery.RunAsync("validate", archive, "--format", "json");
        var unboundedText = await Spanrecovery.RunAsync("validate", archive);
        var oneTable = await Spanrecovery.RunAsync("validate", archive, "--format", "json", "--partitions", "0");
        var capped = await Spanrecovery.RunAsync(cappedHeap,
            "validate", archive, "--format", "json", "--spill-dir", spill);
        var text = await Spanrecovery.RunAsync(cappedHeap,
            "validate", archive, "--spill-dir", spill);

        Assert.Equal(1, unbounded.ExitCode);
        Assert.True(capped.ExitCode == 1, capped.ToString());
        Assert.DoesNotContain("   at ", capped.StdErr, StringComparison.Ordinal);
        Assert.Equal(Report(unbounded).ToJsonString(), Report(capped).ToJsonString());
        Assert.Equal(Report(unbounded).ToJsonString(), Report(oneTable).ToJsonString());
        Assert.Contains("trace-ID partitions, held in memory", unboundedText.StdOut, StringComparison.Ordinal);
        Assert.Contains("MiB spilled to disk", text.StdOut, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(spill));
    }

    [Fact]
    public async Task Local_workers_cut_the_data_set_so_that_the_reduce_tasks_running_together_fit_the_memory_limit()
    {
        var archive = _dir.File("archive");
        ArchiveGenerator.Generate(archive, new GeneratorOptions(20_000, Seed: 5, Files: 3, DefectRate: 0.01));
        // The span table as validate estimates it from the inputs' sizes, shared by 2 reduce tasks at a time.
        var tableBytes = ArchiveValidation.EstimateSpans(Directory.GetFiles(archive)) * TraceTables.TableBytesPerSpan;
        var partitions = (tableBytes + (128 * 1024) - 1) / (128 * 1024);
        Assert.True(partitions > 8, $"{partitions} partitions: no more than the 4 per worker it gets anyway");

        var inMemory = await Spanrecovery.RunAsync("validate", archive, "--format", "json");
        var workers = await Spanrecovery.RunAsync("validate", archive, "--format", "json", "--workers", "2", "--memory-limit", "256K");
        var text = await Spanrecovery.RunAsync("validate", archive, "--workers", "2", "--memory-limit", "256K");

        Assert.True(workers.ExitCode == 1, workers.ToString());
        Assert.Equal(Report(inMemory).ToJsonString(), Report(workers).ToJsonString());
        Assert.Contains($"span table in {partitions} trace-ID partitions (", text.StdOut, StringComparison.Ordinal);
        Assert.Contains("MiB spilled to disk)", text.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Too_little_free_space_for_the_spill_files_is_a_clear_error_before_reading()
    {
        ArchiveGenerator.Generate(_dir.File("small"), new GeneratorOptions(2000, Seed: 3));

        // /proc reports no free space at all.
        var result = await Spanrecovery.RunAsync("validate", _dir.File("small"), "--partitions", "4", "--spill-dir", "/proc");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("spill directory /proc has 0 MiB free", result.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.StdErr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--memory-limit", "lots")]
    [InlineData("--memory-limit", "0")]
    [InlineData("--partitions", "-1")]
    [InlineData("--partitions", "5000")]
    public async Task Bad_memory_options_are_usage_errors(string option, string value)
    {
        ArchiveGenerator.Generate(_dir.File("small"), new GeneratorOptions(10));

        var result = await Spanrecovery.RunAsync("validate", _dir.File("small"), option, value);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.DoesNotContain("   at ", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pipe_is_validated_without_a_size_to_estimate_from()
    {
        var archive = _dir.File("small");
        ArchiveGenerator.Generate(archive, new GeneratorOptions(500, Seed: 2));
        var start = Spanrecovery.StartInfo("validate", "/dev/stdin", "--format", "json");
        using var process = System.Diagnostics.Process.Start(start)!;
        await process.StandardInput.BaseStream.WriteAsync(File.ReadAllBytes(Directory.GetFiles(archive)[0]));
        process.StandardInput.Close();
        var stdout = await process.StandardOutput.ReadToEndAsync();
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.True(process.ExitCode == 0, stderr);
        Assert.Equal(500, JsonNode.Parse(stdout)!["totals"]!["spans"]!.GetValue<long>());
    }
}
