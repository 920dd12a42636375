using System.Text.Json;
using SpanRecovery.Repository;
using SpanRecovery.Tests.CliProcess;
using static SpanRecovery.Tests.RepositoryBackups.RepositoryTestKit;

namespace SpanRecovery.Tests.RepositoryBackups;

/// <summary>
/// Runs its CLI processes alone, after the parallel tests, so that their start-up load does not skew the timing
/// of <see cref="CrashSafetyTests"/> (which kills backups at points measured from an undisturbed run).
/// </summary>
[CollectionDefinition(nameof(RetentionCopyStatusCommandTests), DisableParallelization = true)]
public sealed class RetentionCopyStatusCommandCollection;

/// <summary><c>backups expire</c>, <c>backups status</c> and <c>repo copy</c> run as a process: exit codes and JSON (docs/repository.md, docs/commands.md).</summary>
[Collection(nameof(RetentionCopyStatusCommandTests))]
public sealed class RetentionCopyStatusCommandTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly string _repo;
    private readonly string _copy;
    private readonly string _source;
    private readonly BackupManager _manager;
    private int _seed = 1;

    public RetentionCopyStatusCommandTests()
    {
        _repo = _dir.File("repo");
        _copy = _dir.File("copy");
        _source = _dir.File("source");
        Directory.CreateDirectory(_source);
        _manager = new BackupManager(BackupRepository.Init(_repo, BackupStrategy.ThreeTwoOne));
    }

    public void Dispose() => _dir.Dispose();

    private async Task<BackupManifest> BackUpAsync(BackupType type)
    {
        Append(Path.Combine(_source, "a.bin"), Records(_seed, 2));
        _seed += 10;
        return (await _manager.CreateBackupAsync(_source, type)).Manifest;
    }

    private static void Lock(BackupRepository repository) =>
        File.WriteAllBytes(repository.LockPath, RepositoryJson.Serialize(new LockHolder(Environment.ProcessId, Environment.MachineName, DateTime.UtcNow)));

    [Fact]
    public async Task Expire_retention_full_1_dry_run_then_for_real_prints_json_and_verify_passes()
    {
        var f1 = await BackUpAsync(BackupType.Full);
        var i1 = await BackUpAsync(BackupType.Incremental);
        var f2 = await BackUpAsync(BackupType.Full);
        var i2 = await BackUpAsync(BackupType.Incremental);

        var dry = await Spanrecovery.RunAsync("backups", "expire", "--repo", _repo, "--retention-full", "1", "--dry-run", "--json");
        dry.AssertClean(0);
        using (var json = JsonDocument.Parse(dry.StdOut))
        {
            Assert.True(json.RootElement.GetProperty("dryRun").GetBoolean());
            var removed = json.RootElement.GetProperty("removed").EnumerateArray().ToList();
            Assert.Equal([i1.Name, f1.Name], removed.Select(r => r.GetProperty("name").GetString()));
            Assert.Equal($"chain of expired full {f1.Name}", removed[0].GetProperty("reason").GetString());
            Assert.Equal([f2.Name, i2.Name], json.RootElement.GetProperty("kept").EnumerateArray().Select(k => k.GetString()));
        }

        Assert.Equal(4, _manager.ListManifests().Count);

        var text = await Spanrecovery.RunAsync("backups", "expire", "--repo", _repo, "--retention-full", "1");
        text.AssertClean(0);
        Assert.Contains($"removed {f1.Name}", text.StdOut, StringComparison.Ordinal);
        Assert.Contains($"removed {i1.Name}: chain of expired full {f1.Name}", text.StdOut, StringComparison.Ordinal);
        Assert.Equal([f2.Name, i2.Name], _manager.ListManifests().Select(m => m.Name));
        (await Spanrecovery.RunAsync("backups", "verify", "--repo", _repo)).AssertClean(0);

        // Without options the strategy's 30 days apply: everything here is recent.
        var defaults = await Spanrecovery.RunAsync("backups", "expire", "--repo", _repo, "--json");
        defaults.AssertClean(0);
        using (var json = JsonDocument.Parse(defaults.StdOut))
        {
            Assert.Empty(json.RootElement.GetProperty("removed").EnumerateArray());
            Assert.False(json.RootElement.GetProperty("dryRun").GetBoolean());
        }
    }

    [Fact]
    public async Task Expire_exit_codes_missing_3_locked_4_bad_retention_2()
    {
        await BackUpAsync(BackupType.Full);
        await BackUpAsync(BackupType.Full);
        (await Spanrecovery.RunAsync("backups", "expire", "--repo", _dir.File("nowhere"))).AssertClean(3);
        (await Spanrecovery.RunAsync("backups", "expire", "--repo", _repo, "--retention-full", "0")).AssertClean(2);
        (await Spanrecovery.RunAsync("backups", "expire", "--repo", _repo, "--retention-days", "-1")).AssertClean(2);
        Lock(_manager.Repository);
        var locked = await Spanrecovery.RunAsync("backups", "expire", "--repo", _repo, "--retention-full", "1");
        locked.AssertClean(4);
        Assert.Contains($"pid {Environment.ProcessId}", locked.StdErr, StringComparison.Ordinal);
        Assert.Equal(2, _manager.ListManifests().Count);
    }

    [Fact]
    public async Task Repo_copy_copies_skips_on_rerun_and_exits_1_on_a_damaged_source_segment()
    {
        var f1 = await BackUpAsync(BackupType.Full);
        var i1 = await BackUpAsync(BackupType.Incremental);

        var first = await Spanrecovery.RunAsync("repo", "copy", "--from", _repo, "--to", _copy, "--json");
        first.AssertClean(0);
        using (var json = JsonDocument.Parse(first.StdOut))
        {
            Assert.True(json.RootElement.GetProperty("ok").GetBoolean());
            Assert.True(json.RootElement.GetProperty("initialized").GetBoolean());
            Assert.Equal([f1.Name, i1.Name], json.RootElement.GetProperty("copied").EnumerateArray().Select(e => e.GetString()));
        }

        (await Spanrecovery.RunAsync("backups", "verify", "--repo", _copy)).AssertClean(0);
        var rerun = await Spanrecovery.RunAsync("repo", "copy", "--from", _repo, "--to", _copy);
        rerun.AssertClean(0);
        Assert.Contains("0 copied, 2 skipped", rerun.StdOut, StringComparison.Ordinal);

        var i2 = await BackUpAsync(BackupType.Incremental);
        var i3 = await BackUpAsync(BackupType.Incremental);
        var segment = Path.Combine(_manager.Repository.BackupDirectory(i2.Name), i2.Segments[0].Name);
        FlipByte(segment, 3);
        var damaged = await Spanrecovery.RunAsync("repo", "copy", "--from", _repo, "--to", _copy, "--json");
        damaged.AssertClean(1);
        using (var json = JsonDocument.Parse(damaged.StdOut))
        {
            Assert.False(json.RootElement.GetProperty("ok").GetBoolean());
            Assert.Equal(i2.Name, Assert.Single(json.RootElement.GetProperty("damaged").EnumerateArray()).GetProperty("name").GetString());
            Assert.Equal(i3.Name, Assert.Single(json.RootElement.GetProperty("notCopied").EnumerateArray()).GetProperty("name").GetString());
            Assert.Empty(json.RootElement.GetProperty("copied").EnumerateArray());
        }

        (await Spanrecovery.RunAsync("backups", "verify", "--repo", _copy)).AssertClean(0);
        (await Spanrecovery.RunAsync("repo", "copy", "--from", _dir.File("nowhere"), "--to", _copy)).AssertClean(3);
        Lock(BackupRepository.Open(_copy));
        (await Spanrecovery.RunAsync("repo", "copy", "--from", _repo, "--to", _copy)).AssertClean(4);
    }

    [Fact]
    public async Task Status_summarises_the_repository_and_warns_when_overdue()
    {
        var empty = await Spanrecovery.RunAsync("backups", "status", "--repo", _repo);
        empty.AssertClean(0);
        Assert.Contains("0 (0 full", empty.StdOut, StringComparison.Ordinal);

        var f1 = await BackUpAsync(BackupType.Full);
        var i1 = await BackUpAsync(BackupType.Incremental);
        var status = await Spanrecovery.RunAsync("backups", "status", "--repo", _repo, "--json");
        status.AssertClean(0);
        Assert.Equal("", status.StdErr);
        using (var json = JsonDocument.Parse(status.StdOut))
        {
            var root = json.RootElement;
            Assert.Equal(2, root.GetProperty("backups").GetInt32());
            Assert.Equal(1, root.GetProperty("full").GetInt32());
            Assert.Equal(i1.Name, root.GetProperty("newest").GetString());
            Assert.False(root.GetProperty("overdue").GetBoolean());
            Assert.Equal(_manager.ListBackups().Sum(b => b.Size), root.GetProperty("storedBytes").GetInt64());
        }

        var late = RepositoryStatus.Read(_manager, i1.Created.AddHours(25));
        Assert.True(late.Overdue);
        Assert.Contains(i1.Name, late.Warning, StringComparison.Ordinal);
        Assert.Equal(25, late.NewestAgeHours);
        Assert.False(RepositoryStatus.Read(_manager, f1.Created.AddHours(1)).Overdue);
        (await Spanrecovery.RunAsync("backups", "status", "--repo", _dir.File("nowhere"))).AssertClean(3);
    }
}
