using System.Diagnostics;
using System.Text.Json;
using SpanRecovery.Tests.CliProcess;
using SpanRecovery.Tests.OtlpReading;

namespace SpanRecovery.Tests.RepositoryBackups;

/// <summary>
/// docs/repository.md "Sources": names need not be UTF-8. Linux names are bytes; a collector's directory named in
/// Latin-1, or a file name cut mid-character, must be backed up, appended to, and restored with exactly its
/// bytes. The files are made and compared by the shell, which sees names as bytes, not by .NET, which does not.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class NonUtf8NameTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => Shell($"rm -rf '{_dir.Path}'");

    [Fact]
    public async Task Names_that_are_not_utf8_are_captured_appended_to_and_restored_byte_exact()
    {
        if (!OperatingSystem.IsLinux())
            return;
        var source = _dir.File("source");
        _dir.WriteFile("first.bin", RepositoryTestKit.Records(1, 3));
        _dir.WriteFile("second.bin", RepositoryTestKit.Records(2, 2));
        _dir.WriteFile("source/a.bin", RepositoryTestKit.Records(3, 1));
        Shell($"""
            cd '{source}'
            mkdir "$(printf 'd\351')"
            cp ../first.bin "$(printf '\377\376.bin')"
            cp ../second.bin "$(printf 'd\351/x.bin')"
            ln -s "$(printf 't\376')" "$(printf 'l\377')"
            """);
        var repo = _dir.File("repo");
        Assert.Equal(0, (await Spanrecovery.RunAsync("repo", "init", repo)).ExitCode);

        var full = await Spanrecovery.RunAsync("backup", "--repo", repo, "--source", source, "--json");
        Shell($"cd '{source}' && cat ../second.bin >> \"$(printf '\\377\\376.bin')\"");
        var incremental = await Spanrecovery.RunAsync("backup", "--repo", repo, "--source", source, "--type", "incremental", "--json");

        full.AssertClean(0);
        incremental.AssertClean(0);
        Assert.Equal(6, SpansOf(full));
        Assert.Equal(2, SpansOf(incremental));
        var restored = _dir.File("restored");
        var restore = await Spanrecovery.RunAsync("restore", "--repo", repo, "--backup", NameOf(incremental), "--target", restored);
        restore.AssertClean(0);
        Assert.Equal("", Shell($"diff -r --no-dereference '{source}' '{restored}'"));
        Assert.Equal("74fe0a", Shell($"cd '{restored}' && readlink \"$(printf 'l\\377')\" | od -An -tx1 | tr -d ' \\n'"));

        // A point in time re-encodes every record: the files are written, appended to and read back by their bytes.
        var pointInTime = _dir.File("point-in-time");
        var pitr = await Spanrecovery.RunAsync("restore", "--repo", repo, "--to-time", "2200-01-01T00:00:00Z", "--target", pointInTime, "--json");
        pitr.AssertClean(0);
        Assert.Equal(8, JsonDocument.Parse(pitr.StdOut).RootElement.GetProperty("spans").GetInt64());
        Assert.Equal("", Shell($"diff -r --no-dereference '{source}' '{pointInTime}'"));
    }

    private static long SpansOf(CliResult result) => JsonDocument.Parse(result.StdOut).RootElement.GetProperty("spans").GetInt64();

    private static string NameOf(CliResult result) => JsonDocument.Parse(result.StdOut).RootElement.GetProperty("name").GetString()!;

    private static string Shell(string script)
    {
        using var shell = Process.Start(new ProcessStartInfo("bash", ["-euc", script]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = shell.StandardOutput.ReadToEnd() + shell.StandardError.ReadToEnd();
        shell.WaitForExit();
        Assert.True(shell.ExitCode == 0 || script.StartsWith("diff", StringComparison.Ordinal), output);
        return output;
    }
}
