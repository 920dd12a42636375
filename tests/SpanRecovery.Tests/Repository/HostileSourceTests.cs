using System.Diagnostics;
using System.Text.Json;
using SpanRecovery.Tests.CliProcess;
using SpanRecovery.Tests.OtlpReading;

namespace SpanRecovery.Tests.RepositoryBackups;

/// <summary>
/// DESIGN §5 "Sources": a backup captures regular files only. A FIFO, a socket-like or dangling entry, a link
/// out of the source and an unreadable file are skipped with a warning naming them — the backup finishes,
/// holding every regular file, and exits 1 so scripts notice.
/// </summary>
public sealed class HostileSourceTests : IDisposable
{
    private static readonly string[] Warnings = ["pipe: skipped: a FIFO", "dangling: skipped: symbolic link", "etc: skipped: symbolic link"];

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Fifos_links_and_unreadable_files_are_skipped_by_name_and_every_regular_file_is_captured()
    {
        var source = _dir.File("source");
        _dir.WriteFile("source/a.bin", RepositoryTestKit.Records(1, 3));
        _dir.WriteFile("source/logs/b.bin", RepositoryTestKit.Records(2, 2));
        _dir.WriteFile("outside/secret.bin", RepositoryTestKit.Records(3, 4));
        Assert.Equal(0, Process.Start("mkfifo", Path.Combine(source, "pipe"))!.WaitForExitAndCode());
        File.CreateSymbolicLink(Path.Combine(source, "dangling"), _dir.File("nowhere"));
        Directory.CreateSymbolicLink(Path.Combine(source, "etc"), _dir.File("outside"));
        var unreadable = _dir.WriteFile("source/locked.bin", RepositoryTestKit.Records(4, 1));
        File.SetUnixFileMode(unreadable, UnixFileMode.None);
        var asRoot = Environment.UserName == "root"; // root reads it all the same
        var repo = _dir.File("repo");
        Assert.Equal(0, (await Spanrecovery.RunAsync("repo", "init", repo)).ExitCode);
        var stopwatch = Stopwatch.StartNew();

        var backup = await Spanrecovery.RunAsync("backup", "--repo", repo, "--source", source, "--json");

        Assert.InRange(stopwatch.Elapsed.TotalSeconds, 0, 30);
        Assert.True(backup.ExitCode == 1, backup.ToString());
        Assert.DoesNotContain("   at ", backup.StdErr, StringComparison.Ordinal);
        foreach (var warning in Warnings)
            Assert.Contains(warning, backup.StdErr, StringComparison.Ordinal);
        if (!asRoot)
            Assert.Contains("locked.bin: skipped: not readable", backup.StdErr, StringComparison.Ordinal);

        using var json = JsonDocument.Parse(backup.StdOut);
        var captured = json.RootElement.GetProperty("spans").GetInt64();
        Assert.Equal(asRoot ? 6 : 5, captured);
        var restored = _dir.File("restored");
        var name = json.RootElement.GetProperty("name").GetString()!;
        Assert.Equal(0, (await Spanrecovery.RunAsync("restore", "--repo", repo, "--backup", name, "--target", restored)).ExitCode);
        var files = RepositoryTestKit.Snapshot(restored).Keys.Order(StringComparer.Ordinal).ToList();
        Assert.Equal(asRoot ? ["a.bin", "locked.bin", "logs/b.bin"] : ["a.bin", "logs/b.bin"], files);
    }
}

internal static class ProcessExtensions
{
    public static int WaitForExitAndCode(this Process process)
    {
        process.WaitForExit();
        return process.ExitCode;
    }
}
