using SpanRecovery.Repository;
using static SpanRecovery.Tests.RepositoryBackups.RepositoryTestKit;

namespace SpanRecovery.Tests.RepositoryBackups;

/// <summary>
/// <c>backups expire</c> through the library (docs/repository.md): retention by fulls, differentials and days, never
/// removing a backup a kept backup depends on, never orphaning one; a dry run removes nothing.
/// </summary>
public sealed class BackupExpiryTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly string _source;
    private readonly BackupManager _manager;
    private int _seed = 1;

    public BackupExpiryTests()
    {
        _source = _dir.File("source");
        Directory.CreateDirectory(_source);
        _manager = new BackupManager(BackupRepository.Init(_dir.File("repo"), BackupStrategy.ThreeTwoOne));
    }

    public void Dispose() => _dir.Dispose();

    /// <summary>Appends new records to the source and takes a backup of <paramref name="type"/>; returns its manifest.</summary>
    private async Task<BackupManifest> BackUpAsync(BackupType type)
    {
        var path = Path.Combine(_source, "a.bin");
        if (!File.Exists(path))
            File.WriteAllBytes(path, []);
        Append(path, Records(_seed, 2));
        _seed += 10;
        var result = await _manager.CreateBackupAsync(_source, type);
        Assert.Equal(type, result.Manifest.BackupType);
        return result.Manifest;
    }

    private List<string> Names() => [.. _manager.ListManifests().Select(m => m.Name)];

    /// <summary>Every committed backup's parent is committed too.</summary>
    private void AssertNoOrphans()
    {
        var names = Names().ToHashSet(StringComparer.Ordinal);
        Assert.All(_manager.ListManifests(), m => Assert.True(m.Parent is null || names.Contains(m.Parent), $"{m.Name} lost its parent {m.Parent}"));
    }

    [Fact]
    public async Task Retention_full_1_keeps_the_newer_chain_and_removes_the_older_whole_and_dry_run_removes_nothing()
    {
        var f1 = await BackUpAsync(BackupType.Full);
        var i1 = await BackUpAsync(BackupType.Incremental);
        var d1 = await BackUpAsync(BackupType.Differential);
        var i1b = await BackUpAsync(BackupType.Incremental);
        var f2 = await BackUpAsync(BackupType.Full);
        var i2 = await BackUpAsync(BackupType.Incremental);
        var i2b = await BackUpAsync(BackupType.Incremental);
        Assert.Equal(d1.Name, i1b.Parent);
        var all = Names();
        var expiry = new BackupExpiry(_manager.Repository);

        var dry = expiry.Expire(new RetentionPolicy(Full: 1), DateTime.UtcNow, dryRun: true);
        Assert.True(dry.DryRun);
        Assert.Equal([i1b.Name, d1.Name, i1.Name, f1.Name], dry.Removed.Select(r => r.Name));
        Assert.Contains("retention: 1 fulls", dry.Removed.Single(r => r.Name == f1.Name).Reason, StringComparison.Ordinal);
        Assert.All(dry.Removed.Where(r => r.Name != f1.Name), r => Assert.Equal($"chain of expired full {f1.Name}", r.Reason));
        Assert.Equal([f2.Name, i2.Name, i2b.Name], dry.Kept);
        Assert.Equal(all, Names());
        Assert.All(all, name => Assert.True(Directory.Exists(_manager.Repository.BackupDirectory(name))));

        var result = _manager.CleanupOldBackups(new RetentionPolicy(Full: 1), DateTime.UtcNow);
        Assert.False(result.DryRun);
        Assert.Equal(dry.Removed, result.Removed);
        Assert.Equal([f2.Name, i2.Name, i2b.Name], Names());
        Assert.All(dry.Removed, r => Assert.False(Directory.Exists(_manager.Repository.BackupDirectory(r.Name))));
        AssertNoOrphans();
        Assert.True((await _manager.VerifyAsync()).Ok);
        Assert.False(File.Exists(_manager.Repository.LockPath));

        // Nothing more to do: a second run removes nothing.
        Assert.Empty(_manager.CleanupOldBackups(new RetentionPolicy(Full: 1), DateTime.UtcNow).Removed);
    }

    [Fact]
    public async Task Retention_days_keeps_an_old_full_whose_incrementals_are_recent_and_always_the_newest()
    {
        var f1 = await BackUpAsync(BackupType.Full);
        var i1 = await BackUpAsync(BackupType.Incremental);
        var i2 = await BackUpAsync(BackupType.Incremental);
        var f2 = await BackUpAsync(BackupType.Full);
        var i3 = await BackUpAsync(BackupType.Incremental);
        var expiry = new BackupExpiry(_manager.Repository);

        // One day after i2 (less half a second): f1 and i1 are older than a day, but i2 depends on both.
        var keepsChain = expiry.Expire(new RetentionPolicy(Days: 1), i2.Created.AddDays(1).AddSeconds(-0.5), dryRun: true);
        Assert.Empty(keepsChain.Removed);
        Assert.Equal([f1.Name, i1.Name, i2.Name, f2.Name, i3.Name], keepsChain.Kept);

        // One day after f2: the whole older chain is older than a day and nothing kept depends on it.
        var removesChain = expiry.Expire(new RetentionPolicy(Days: 1), f2.Created.AddDays(1).AddSeconds(-0.5));
        Assert.Equal([i2.Name, i1.Name, f1.Name], removesChain.Removed.Select(r => r.Name));
        Assert.All(removesChain.Removed, r => Assert.Equal("older than 1 days", r.Reason));
        Assert.Equal([f2.Name, i3.Name], Names());
        AssertNoOrphans();

        // Everything is old: the newest backup stays, and so does the full it depends on.
        var newestOnly = expiry.Expire(new RetentionPolicy(Days: 0), i3.Created.AddYears(1));
        Assert.Empty(newestOnly.Removed);
        Assert.Equal([f2.Name, i3.Name], Names());
        Assert.True((await _manager.VerifyAsync()).Ok);
    }

    [Fact]
    public async Task Without_options_the_strategy_retention_of_30_days_applies()
    {
        var f1 = await BackUpAsync(BackupType.Full);
        var f2 = await BackUpAsync(BackupType.Full);
        var expiry = new BackupExpiry(_manager.Repository);

        Assert.Empty(expiry.Expire(null, f1.Created.AddDays(30)).Removed);
        var result = expiry.Expire(new RetentionPolicy(), f2.Created.AddDays(30).AddSeconds(-0.5));
        Assert.Equal([new ExpiredBackup(f1.Name, "older than 30 days")], result.Removed);
        Assert.Equal([f2.Name], Names());
    }

    [Fact]
    public async Task Retention_diff_keeps_the_newest_differentials_of_each_full_and_their_incrementals()
    {
        var f1 = await BackUpAsync(BackupType.Full);
        var d1 = await BackUpAsync(BackupType.Differential);
        var i1 = await BackUpAsync(BackupType.Incremental);
        var d2 = await BackUpAsync(BackupType.Differential);
        var d3 = await BackUpAsync(BackupType.Differential);
        var i3 = await BackUpAsync(BackupType.Incremental);
        Assert.Equal(d1.Name, i1.Parent);
        Assert.Equal(d3.Name, i3.Parent);

        var result = new BackupExpiry(_manager.Repository).Expire(new RetentionPolicy(Diff: 1), DateTime.UtcNow);

        Assert.Equal([d2.Name, i1.Name, d1.Name], result.Removed.Select(r => r.Name));
        Assert.Equal($"depends on expired differential {d1.Name}", result.Removed.Single(r => r.Name == i1.Name).Reason);
        Assert.Contains("retention: 1 differentials per full", result.Removed.Single(r => r.Name == d2.Name).Reason, StringComparison.Ordinal);
        Assert.Equal([f1.Name, d3.Name, i3.Name], Names());
        AssertNoOrphans();
        Assert.True((await _manager.VerifyAsync()).Ok);
    }

    [Fact]
    public async Task Expire_takes_the_lock_and_rejects_bad_retention()
    {
        await BackUpAsync(BackupType.Full);
        await BackUpAsync(BackupType.Full);
        var expiry = new BackupExpiry(_manager.Repository);
        File.WriteAllBytes(_manager.Repository.LockPath, RepositoryJson.Serialize(new LockHolder(Environment.ProcessId, Environment.MachineName, DateTime.UtcNow)));

        var locked = Assert.Throws<RepositoryException>(() => expiry.Expire(new RetentionPolicy(Full: 1), DateTime.UtcNow));
        Assert.Equal(RepositoryError.LockHeld, locked.Error);
        Assert.Equal(2, Names().Count);
        // A dry run only reads.
        Assert.Single(expiry.Expire(new RetentionPolicy(Full: 1), DateTime.UtcNow, dryRun: true).Removed);
        File.Delete(_manager.Repository.LockPath);

        Assert.Throws<ArgumentOutOfRangeException>(() => expiry.Expire(new RetentionPolicy(Full: 0), DateTime.UtcNow));
        Assert.Throws<ArgumentOutOfRangeException>(() => expiry.Expire(new RetentionPolicy(Days: -1), DateTime.UtcNow));
        Assert.Equal(2, Names().Count);
    }

    [Fact]
    public void Plan_of_an_empty_repository_removes_nothing() =>
        Assert.Empty(BackupExpiry.Plan(new BackupCatalog([], []), new RetentionPolicy(Days: 0, Full: 1, Diff: 1), DateTime.UtcNow, dryRun: false).Removed);

    [Fact]
    public async Task A_backup_a_running_restore_reads_is_kept_until_the_restore_ends_and_a_dead_readers_entry_protects_nothing()
    {
        var f1 = await BackUpAsync(BackupType.Full);
        var i1 = await BackUpAsync(BackupType.Incremental);
        await BackUpAsync(BackupType.Full);
        var expiry = new BackupExpiry(_manager.Repository);
        var policy = new RetentionPolicy(Full: 1);

        // A reader whose process is gone (a restore killed with -9) protects nothing.
        using (var gone = System.Diagnostics.Process.Start("true"))
        {
            gone.WaitForExit();
            var stale = new RepositoryReaderEntry(new LockHolder(gone.Id, Environment.MachineName, DateTime.UtcNow), [f1.Name]);
            Directory.CreateDirectory(RepositoryReaders.Directory(_manager.Repository));
            File.WriteAllBytes(Path.Combine(RepositoryReaders.Directory(_manager.Repository), $"{gone.Id}-stale.json"), RepositoryJson.Serialize(stale));
        }

        ExpiryResult whileRestoring;
        using (await RepositoryReaders.RegisterAsync(_manager.Repository, [f1.Name, i1.Name], CancellationToken.None))
            whileRestoring = expiry.Expire(policy, DateTime.UtcNow);

        Assert.Empty(whileRestoring.Removed);
        Assert.Equal([i1.Name, f1.Name], whileRestoring.InUse.Select(u => u.Name));
        Assert.Contains("in use by a restore", whileRestoring.InUse[0].Reason, StringComparison.Ordinal);
        Assert.Contains(f1.Name, Names());
        Assert.Empty(Directory.GetFiles(RepositoryReaders.Directory(_manager.Repository))); // the dead one removed, ours ended
        var afterRestore = expiry.Expire(policy, DateTime.UtcNow);
        Assert.Equal([i1.Name, f1.Name], afterRestore.Removed.Select(r => r.Name));
        Assert.Empty(afterRestore.InUse);
        Assert.Empty(Directory.GetFiles(RepositoryReaders.Directory(_manager.Repository)));
        AssertNoOrphans();
    }

    [Fact]
    public async Task Expire_clears_the_debris_of_an_interrupted_writer()
    {
        var full = await BackUpAsync(BackupType.Full);
        var debris = _manager.Repository.BackupDirectory($"{full.Name}_20990101-000000I");
        Directory.CreateDirectory(debris);
        File.WriteAllBytes(Path.Combine(debris, "0001.seg.zst"), [1, 2, 3]);

        var result = new BackupExpiry(_manager.Repository).Expire(new RetentionPolicy(Full: 1), DateTime.UtcNow);

        Assert.Empty(result.Removed);
        Assert.False(Directory.Exists(debris));
        Assert.Equal([full.Name], Names());
    }
}
