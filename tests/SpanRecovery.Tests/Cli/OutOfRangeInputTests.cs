using System.Text.Json.Nodes;
using SpanRecovery.Tests.CliProcess;
using SpanRecovery.Tests.OtlpReading;
using SpanRecovery.Tests.RepositoryBackups;

namespace SpanRecovery.Tests.Cli;

/// <summary>Numbers out of range, in <c>repo.json</c> or on the command line, are clear errors (exit 2), never a crash.</summary>
public sealed class OutOfRangeInputTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("intervalHours", "\"NaN\"")]
    [InlineData("intervalHours", "1e300")]
    [InlineData("intervalHours", "-1e8")]
    [InlineData("retentionDays", "-100000000")]
    [InlineData("retentionDays", "1e300")]
    [InlineData("name", "null")]
    public async Task A_repo_json_with_an_impossible_strategy_is_refused_by_every_command(string field, string value)
    {
        var repo = _dir.File("repo");
        (await Spanrecovery.RunAsync("repo", "init", repo)).AssertClean(0);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(repo, "repo.json")))!;
        config["strategy"]![field] = JsonNode.Parse(value);
        File.WriteAllText(Path.Combine(repo, "repo.json"), config.ToJsonString());
        _dir.WriteFile("source/a.bin", RepositoryTestKit.Records(1, 2));

        foreach (var args in new[]
        {
            new[] { "backups", "list", "--repo", repo }, ["backups", "status", "--repo", repo], ["backups", "expire", "--repo", repo],
            ["backup", "--repo", repo, "--source", _dir.File("source")], ["repo", "copy", "--from", repo, "--to", _dir.File("copy")],
        })
        {
            var result = await Spanrecovery.RunAsync(args);
            result.AssertClean(2);
            Assert.Contains("repo.json", result.StdErr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Durations_and_day_counts_beyond_any_use_are_usage_errors()
    {
        var repo = _dir.File("repo");
        (await Spanrecovery.RunAsync("repo", "init", repo)).AssertClean(0);
        var file = _dir.WriteFile("a.bin", RepositoryTestKit.Records(1, 2));

        (await Spanrecovery.RunAsync("backups", "expire", "--repo", repo, "--retention-days", "100000000")).AssertClean(2);
        (await Spanrecovery.RunAsync("validate", file, "--max-duration", "1e300h")).AssertClean(2);
        (await Spanrecovery.RunAsync("restore", "--repo", repo, "--backup", "x", "--target", _dir.File("t"), "--hook-timeout", "1e308h")).AssertClean(2);
        (await Spanrecovery.RunAsync("restore", "--repo", repo, "--backup", "x", "--target", _dir.File("t"), "--request-timeout", "0s")).AssertClean(2);
        (await Spanrecovery.RunAsync("restore", "--repo", repo, "--backup", "x", "--target", _dir.File("t"), "--max-attempts", "0")).AssertClean(2);
    }
}
