using System.Text.Json;
using SpanRecovery.Repository;
using SpanRecovery.Tests.CliProcess;
using SpanRecovery.Tests.OtlpReading;

namespace SpanRecovery.Tests.RepositoryBackups;

/// <summary><c>repo init</c>, <c>backup</c> and <c>backups list|show|verify</c> run as a process: exit codes and JSON (docs/repository.md, docs/commands.md).</summary>
public sealed class BackupCommandTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly string _repo;
    private readonly string _source;

    public BackupCommandTests()
    {
        _repo = _dir.File("repo");
        _source = _dir.File("source");
        _dir.WriteFile("source/a.bin", RepositoryTestKit.Records(1, 3, 2));
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Init_backup_list_show_and_verify_work_and_print_json()
    {
        (await Spanrecovery.RunAsync("repo", "init", _repo)).AssertClean(0);
        Assert.True(File.Exists(Path.Combine(_repo, "repo.json")));

        var full = await Spanrecovery.RunAsync("backup", "--repo", _repo, "--source", _source, "--json");
        full.AssertClean(0);
        using (var json = JsonDocument.Parse(full.StdOut))
        {
            Assert.Equal("full", json.RootElement.GetProperty("type").GetString());
            Assert.Equal(5, json.RootElement.GetProperty("spans").GetInt64());
            Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("parent").ValueKind);
            Assert.True(json.RootElement.GetProperty("storedBytes").GetInt64() > 0);
        }

        RepositoryTestKit.Append(Path.Combine(_source, "a.bin"), RepositoryTestKit.Records(3, 4));
        var incremental = await Spanrecovery.RunAsync("backup", "--repo", _repo, "--source", _source);
        incremental.AssertClean(0);
        Assert.Contains("incremental", incremental.StdOut, StringComparison.Ordinal);

        var list = await Spanrecovery.RunAsync("backups", "list", "--repo", _repo, "--json");
        list.AssertClean(0);
        using var listed = JsonDocument.Parse(list.StdOut);
        var backups = listed.RootElement.EnumerateArray().ToList();
        Assert.Equal(["full", "incremental"], backups.Select(b => b.GetProperty("type").GetString()));
        Assert.Equal([5L, 4L], backups.Select(b => b.GetProperty("spans").GetInt64()));
        var fullName = backups[0].GetProperty("name").GetString()!;
        var incrementalName = backups[1].GetProperty("name").GetString()!;
        Assert.Equal(fullName, backups[1].GetProperty("parent").GetString());

        var show = await Spanrecovery.RunAsync("backups", "show", incrementalName, "--repo", _repo);
        show.AssertClean(0);
        Assert.Contains(fullName, show.StdOut, StringComparison.Ordinal);

        var verify = await Spanrecovery.RunAsync("backups", "verify", "--repo", _repo, "--json");
        verify.AssertClean(0);
        using (var json = JsonDocument.Parse(verify.StdOut))
            Assert.True(json.RootElement.GetProperty("ok").GetBoolean());

        RepositoryTestKit.FlipByte(Path.Combine(_repo, "backups", incrementalName, "0001.seg.zst"), 5);
        var damaged = await Spanrecovery.RunAsync("backups", "verify", "--repo", _repo, "--json");
        damaged.AssertClean(1);
        using (var json = JsonDocument.Parse(damaged.StdOut))
        {
            Assert.False(json.RootElement.GetProperty("ok").GetBoolean());
            var damage = Assert.Single(json.RootElement.GetProperty("damaged").EnumerateArray());
            Assert.Equal($"backups/{incrementalName}/0001.seg.zst", damage.GetProperty("path").GetString());
        }

        var text = await Spanrecovery.RunAsync("backups", "verify", incrementalName, "--repo", _repo);
        text.AssertClean(1);
        Assert.Contains($"backups/{incrementalName}/0001.seg.zst", text.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_repository_backup_or_source_exits_3()
    {
        (await Spanrecovery.RunAsync("backups", "list", "--repo", _dir.File("nowhere"))).AssertClean(3);
        (await Spanrecovery.RunAsync("backup", "--repo", _dir.File("nowhere"), "--source", _source)).AssertClean(3);
        BackupRepository.Init(_repo, BackupStrategy.ThreeTwoOne);
        var show = await Spanrecovery.RunAsync("backups", "show", "20200101-000000F", "--repo", _repo);
        show.AssertClean(3);
        Assert.Contains("20200101-000000F", show.StdErr, StringComparison.Ordinal);
        (await Spanrecovery.RunAsync("backups", "verify", "20200101-000000F", "--repo", _repo)).AssertClean(3);
        (await Spanrecovery.RunAsync("backup", "--repo", _repo, "--source", _dir.File("no-source"))).AssertClean(3);
    }

    [Fact]
    public async Task Bad_input_exits_2()
    {
        BackupRepository.Init(_repo, BackupStrategy.ThreeTwoOne);
        (await Spanrecovery.RunAsync("backup", "--repo", _repo, "--source", _source, "--type", "weekly")).AssertClean(2);
        (await Spanrecovery.RunAsync("repo", "init", _repo)).AssertClean(2);
        (await Spanrecovery.RunAsync("repo", "init", _dir.File("other"), "--strategy", "nope")).AssertClean(2);
    }

    [Fact]
    public async Task A_live_lock_exits_4_naming_the_holder()
    {
        var repository = BackupRepository.Init(_repo, BackupStrategy.ThreeTwoOne);
        File.WriteAllBytes(repository.LockPath, RepositoryJson.Serialize(new LockHolder(Environment.ProcessId, Environment.MachineName, DateTime.UtcNow)));

        var result = await Spanrecovery.RunAsync("backup", "--repo", _repo, "--source", _source);

        result.AssertClean(4);
        Assert.Contains($"pid {Environment.ProcessId}", result.StdErr, StringComparison.Ordinal);
        Assert.Contains(Environment.MachineName, result.StdErr, StringComparison.Ordinal);
    }
}
