namespace SpanRecovery.Tests.CliProcess;

/// <summary><c>spanrecovery demo</c>, the README's main-job command, as a process.</summary>
public sealed class DemoCommandTests
{
    [Fact]
    public async Task Demo_finds_exactly_the_injected_defects_and_restores_its_backup_byte_for_byte()
    {
        using var dir = new TempDirectory();

        var demo = await Spanrecovery.RunAsync("demo", "--spans", "20000", "--dir", dir.File("archive"));

        Assert.True(demo.ExitCode == 0, demo.ToString());
        Assert.Contains("the report matches the defects the generator injected exactly", demo.StdErr, StringComparison.Ordinal);
        Assert.Contains("restored all 4 files byte for byte, verified", demo.StdErr, StringComparison.Ordinal);
        Assert.Contains("span errors found", demo.StdOut, StringComparison.Ordinal);
        Assert.Contains("quarantined, 19,", demo.StdErr, StringComparison.Ordinal);
        Assert.Contains("the clean copy validates with no error", demo.StdErr, StringComparison.Ordinal);
        Assert.Equal(4, Directory.GetFiles(dir.File("archive")).Length);
    }
}
