using SpanRecovery.Repository;
using static SpanRecovery.Tests.RepositoryBackups.RepositoryTestKit;

namespace SpanRecovery.Tests.RepositoryBackups;

/// <summary>
/// <c>repo copy</c> through the library (docs/repository.md, 3-2-1): parents before children, each segment verified
/// before its manifest, reruns skip what is there and resume an interrupted copy, damage stops a backup and
/// its descendants but not the others.
/// </summary>
public sealed class RepositoryCopyTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly string _source;
    private readonly string _copyPath;
    private readonly BackupManager _manager;
    private int _seed = 1;

    public RepositoryCopyTests()
    {
        _source = _dir.File("source");
        Directory.CreateDirectory(_source);
        _copyPath = _dir.File("copy");
        _manager = new BackupManager(BackupRepository.Init(_dir.File("repo"), BackupStrategy.ThreeTwoOne));
    }

    public void Dispose() => _dir.Dispose();

    private async Task<BackupManifest> BackUpAsync(BackupType type)
    {
        Append(Path.Combine(_source, "a.bin"), Records(_seed, 2, 1));
        File.WriteAllBytes(Path.Combine(_source, $"r{_seed}.bin"), Records(_seed + 5, 3));
        _seed += 10;
        return (await _manager.CreateBackupAsync(_source, type)).Manifest;
    }

    private CopyResult Copy() => new RepositoryCopier(_manager.Repository, _copyPath).Copy();

    private BackupManager CopyManager() => new(BackupRepository.Open(_copyPath));

    /// <summary>The copy holds the same committed backups as the source, manifests byte for byte, and verifies.</summary>
    private async Task AssertCopyMatchesAsync(IEnumerable<string> names)
    {
        var copy = CopyManager();
        Assert.Equal(names, copy.ListManifests().Select(m => m.Name));
        foreach (var name in names)
            Assert.Equal(File.ReadAllBytes(_manager.Repository.ManifestPath(name)), File.ReadAllBytes(copy.Repository.ManifestPath(name)));
        var verify = await copy.VerifyAsync(deep: true);
        Assert.True(verify.Ok, string.Join("; ", verify.Damaged));
        Assert.DoesNotContain(Directory.EnumerateDirectories(copy.Repository.BackupsDirectory), d => !File.Exists(Path.Combine(d, BackupRepository.ManifestFileName)));
        Assert.False(File.Exists(copy.Repository.LockPath));
    }

    [Fact]
    public async Task Copy_into_a_missing_repository_then_a_partly_up_to_date_one_and_a_rerun_is_a_no_op()
    {
        var f = await BackUpAsync(BackupType.Full);
        var i = await BackUpAsync(BackupType.Incremental);

        var first = Copy();
        Assert.True(first.Ok);
        Assert.True(first.Initialized);
        Assert.Equal([f.Name, i.Name], first.Copied);
        Assert.Empty(first.Skipped);
        Assert.Equal(_manager.Repository.Config.Strategy, CopyManager().Repository.Config.Strategy);
        await AssertCopyMatchesAsync([f.Name, i.Name]);

        var d = await BackUpAsync(BackupType.Differential);
        var i2 = await BackUpAsync(BackupType.Incremental);
        var second = Copy();
        Assert.True(second.Ok);
        Assert.False(second.Initialized);
        Assert.Equal([d.Name, i2.Name], second.Copied);
        Assert.Equal([f.Name, i.Name], second.Skipped);
        await AssertCopyMatchesAsync([f.Name, i.Name, d.Name, i2.Name]);

        var rerun = Copy();
        Assert.True(rerun.Ok);
        Assert.Empty(rerun.Copied);
        Assert.Equal([f.Name, i.Name, d.Name, i2.Name], rerun.Skipped);
        await AssertCopyMatchesAsync([f.Name, i.Name, d.Name, i2.Name]);
    }

    [Fact]
    public async Task An_interrupted_copy_resumes_from_its_debris()
    {
        var f = await BackUpAsync(BackupType.Full);
        var i = await BackUpAsync(BackupType.Incremental);
        var i2 = await BackUpAsync(BackupType.Incremental);
        Assert.True(Copy().Ok);

        // As if killed while copying i: its manifest never written, one segment half copied, a temp file left;
        // and i2 not started beyond a stray directory.
        var copy = CopyManager().Repository;
        File.Delete(copy.ManifestPath(i2.Name));
        File.Delete(copy.ManifestPath(i.Name));
        var segment = Path.Combine(copy.BackupDirectory(i.Name), i.Segments[0].Name);
        var bytes = File.ReadAllBytes(segment);
        File.WriteAllBytes(segment, bytes[..(bytes.Length / 2)]);
        File.WriteAllBytes(Path.Combine(copy.BackupDirectory(i.Name), i.Segments[^1].Name + ".tmp"), [1, 2, 3]);
        foreach (var file in Directory.EnumerateFiles(copy.BackupDirectory(i2.Name)))
            File.Delete(file);
        Assert.Equal([f.Name], CopyManager().ListManifests().Select(m => m.Name));

        var resumed = Copy();

        Assert.True(resumed.Ok);
        Assert.Equal([i.Name, i2.Name], resumed.Copied);
        Assert.Equal([f.Name], resumed.Skipped);
        Assert.Empty(Directory.EnumerateFiles(copy.BackupDirectory(i.Name), "*.tmp"));
        await AssertCopyMatchesAsync([f.Name, i.Name, i2.Name]);
    }

    [Fact]
    public async Task A_corrupted_source_segment_stops_that_backup_and_its_descendants_only()
    {
        var f1 = await BackUpAsync(BackupType.Full);
        var i1 = await BackUpAsync(BackupType.Incremental);
        var i2 = await BackUpAsync(BackupType.Incremental);
        var f2 = await BackUpAsync(BackupType.Full);
        var i3 = await BackUpAsync(BackupType.Incremental);
        var damagedSegment = Path.Combine(_manager.Repository.BackupDirectory(i1.Name), i1.Segments[^1].Name);
        FlipByte(damagedSegment, new FileInfo(damagedSegment).Length / 2);

        var result = Copy();

        Assert.False(result.Ok);
        Assert.Equal([f1.Name, f2.Name, i3.Name], result.Copied);
        var damage = Assert.Single(result.Damaged);
        Assert.Equal(i1.Name, damage.Name);
        Assert.Contains($"backups/{i1.Name}/{i1.Segments[^1].Name}", damage.Problem, StringComparison.Ordinal);
        Assert.Equal([i2.Name], result.NotCopied.Select(p => p.Name));
        Assert.False(Directory.Exists(CopyManager().Repository.BackupDirectory(i1.Name)));
        await AssertCopyMatchesAsync([f1.Name, f2.Name, i3.Name]);

        // Repaired at the source, the next copy fills the gap in order.
        FlipByte(damagedSegment, new FileInfo(damagedSegment).Length / 2);
        var repaired = Copy();
        Assert.True(repaired.Ok);
        Assert.Equal([i1.Name, i2.Name], repaired.Copied);
        await AssertCopyMatchesAsync([f1.Name, i1.Name, i2.Name, f2.Name, i3.Name]);
    }

    [Fact]
    public async Task A_locked_destination_or_a_missing_source_is_refused()
    {
        await BackUpAsync(BackupType.Full);
        var copy = BackupRepository.Init(_copyPath, BackupStrategy.ThreeTwoOne);
        File.WriteAllBytes(copy.LockPath, RepositoryJson.Serialize(new LockHolder(Environment.ProcessId, Environment.MachineName, DateTime.UtcNow)));

        Assert.Equal(RepositoryError.LockHeld, Assert.Throws<RepositoryException>(Copy).Error);
        Assert.Empty(await copy.CommittedNamesAsync());
        Assert.Equal(RepositoryError.RepositoryNotFound,
            Assert.Throws<RepositoryException>(() => BackupRepository.Open(_dir.File("nowhere"))).Error);
        Assert.Equal(RepositoryError.InvalidRepository,
            Assert.Throws<RepositoryException>(() => new RepositoryCopier(_manager.Repository, _manager.Repository.Path).Copy()).Error);
    }
}
