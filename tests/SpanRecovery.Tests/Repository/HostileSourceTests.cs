using System.Diagnostics;
using System.Text.Json;
using SpanRecovery.Tests.CliProcess;
using SpanRecovery.Tests.OtlpReading;

namespace SpanRecovery.Tests.RepositoryBackups;

/// <summary>
/// docs/repository.md "Sources": a backup captures regular files and records symbolic links as links, never following
/// them. A FIFO and an unreadable file are skipped with a warning naming them — the backup finishes, holding
/// every regular file, and exits 1 so scripts notice; a restore gives the files back and the links as links.
/// </summary>
public sealed class HostileSourceTests : IDisposable
{
    private static readonly string[] Warnings =
        ["pipe: skipped: a FIFO", "dangling: symbolic link to", "recorded as a link", "etc: symbolic link to"];

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
        Assert.Equal(File.ReadAllBytes(Path.Combine(source, "a.bin")), File.ReadAllBytes(Path.Combine(restored, "a.bin")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(source, "logs", "b.bin")), File.ReadAllBytes(Path.Combine(restored, "logs", "b.bin")));
        Assert.Equal(asRoot, File.Exists(Path.Combine(restored, "locked.bin")));
        Assert.False(File.Exists(Path.Combine(restored, "pipe")));
        Assert.Equal(_dir.File("nowhere"), new FileInfo(Path.Combine(restored, "dangling")).LinkTarget);
        Assert.Equal(_dir.File("outside"), new DirectoryInfo(Path.Combine(restored, "etc")).LinkTarget);
        Assert.False(File.Exists(Path.Combine(repo, "secret.bin")));
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
