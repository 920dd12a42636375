using System.Text.Json.Nodes;
using SpanRecovery.Repository;
using SpanRecovery.Tests.OtlpReading;

namespace SpanRecovery.Tests.RepositoryBackups;

/// <summary><c>verify --deep</c> and the overdue warning of <c>backups list</c>.</summary>
public sealed class DeepVerifyTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly BackupManager _manager;
    private readonly string _source;

    public DeepVerifyTests()
    {
        _manager = new BackupManager(BackupRepository.Init(_dir.File("repo"), BackupStrategy.ThreeTwoOne));
        _source = _dir.File("source");
        _dir.WriteFile("source/a.bin", RepositoryTestKit.Records(1, 3, 2));
        _dir.WriteFile("source/b.bin", RepositoryTestKit.Records(5, 4));
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Deep_verify_finds_a_segment_whose_checksum_matches_but_whose_spans_do_not()
    {
        var backup = await _manager.CreateBackupAsync(_source);
        Assert.True((await _manager.VerifyAsync(deep: true)).Ok);

        // A segment replaced by other valid data, its checksum and size patched into the manifest.
        var segment = backup.Manifest.Segments[1];
        var path = Path.Combine(backup.Metadata.Path, segment.Name);
        File.WriteAllBytes(path, TestInputs.Zstd(RepositoryTestKit.Records(9, 1)));
        var manifestPath = _manager.Repository.ManifestPath(backup.Manifest.Name);
        var json = JsonNode.Parse(File.ReadAllText(manifestPath))!;
        var stored = json["segments"]![1]!;
        stored["sha256"] = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)));
        stored["storedBytes"] = new FileInfo(path).Length;
        File.WriteAllText(manifestPath, json.ToJsonString());

        Assert.True((await _manager.VerifyAsync()).Ok);
        var deep = await _manager.VerifyAsync(deep: true);
        Assert.False(deep.Ok);
        Assert.Contains(deep.Damaged, d => d.Path == $"backups/{backup.Manifest.Name}/{segment.Name}" && d.Problem.Contains("re-read 1 spans", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Deep_verify_reads_each_file_whole_as_restore_does_so_the_two_agree()
    {
        await _manager.CreateBackupAsync(_source);
        RepositoryTestKit.Append(Path.Combine(_source, "a.bin"), RepositoryTestKit.Records(7, 2));
        var incremental = await _manager.CreateBackupAsync(_source, BackupType.Incremental);
        Assert.True((await _manager.VerifyAsync(deep: true)).Ok);

        // Each segment is as its manifest says; only the file read whole, as a restore reads it, shows that its
        // bytes are not the ones captured.
        var manifestPath = _manager.Repository.ManifestPath(incremental.Manifest.Name);
        var json = JsonNode.Parse(File.ReadAllText(manifestPath))!;
        json["files"]!.AsArray().First(f => f!["path"]!.GetValue<string>() == "a.bin")!["prefixSha256"] = new string('0', 64);
        File.WriteAllText(manifestPath, json.ToJsonString());

        Assert.True((await _manager.VerifyAsync()).Ok);
        var deep = await _manager.VerifyAsync(incremental.Manifest.Name, deep: true);
        Assert.False(deep.Ok);
        Assert.Contains(deep.Damaged, d => d.Path == $"backups/{incremental.Manifest.Name}/manifest.json" && d.Problem.Contains("a restore of it would fail: a.bin", StringComparison.Ordinal));
        await Assert.ThrowsAsync<SpanRecovery.Restore.VerificationFailedException>(() => RepositoryTestKit.RestoreAsync(_manager.Repository, incremental.Manifest.Name));
    }

    [Fact]
    public async Task A_growing_file_without_visible_records_is_captured_whole_again_so_every_backup_restores()
    {
        // A whole-file zstd archive being written: the first backup sees whole frames, the second half a frame,
        // the third the rest. Its new bytes alone are not zstd; only the file from its start is.
        var frames = TestInputs.ZstdFrames(RepositoryTestKit.Records(11, 3), RepositoryTestKit.Records(12, 4));
        var firstFrame = TestInputs.Zstd(RepositoryTestKit.Records(11, 3)).Length;
        var path = _dir.WriteFile("source/c.zst", frames[..firstFrame]);
        var backups = new List<string> { (await _manager.CreateBackupAsync(_source)).Manifest.Name };
        RepositoryTestKit.Append(path, frames[firstFrame..(firstFrame + 20)]);
        backups.Add((await _manager.CreateBackupAsync(_source, BackupType.Incremental)).Manifest.Name);
        RepositoryTestKit.Append(path, frames[(firstFrame + 20)..]);
        backups.Add((await _manager.CreateBackupAsync(_source, BackupType.Incremental)).Manifest.Name);

        var verify = await _manager.VerifyAsync(deep: true);

        Assert.True(verify.Ok, string.Join("; ", verify.Damaged));
        foreach (var backup in backups)
            Assert.True((await RepositoryTestKit.RestoreAsync(_manager.Repository, backup)).Result.Verified, backup);
        var last = await RepositoryTestKit.RestoreAsync(_manager.Repository, backups[^1]);
        Assert.Equal(frames, last.Files["c.zst"]);
    }

    [Fact]
    public async Task List_warns_when_the_newest_backup_is_older_than_the_interval()
    {
        Assert.Null(_manager.OverdueWarning(_manager.ListManifests(), DateTime.UtcNow));
        var backup = await _manager.CreateBackupAsync(_source);
        var manifests = _manager.ListManifests();

        Assert.Null(_manager.OverdueWarning(manifests, DateTime.UtcNow));
        var warning = _manager.OverdueWarning(manifests, backup.Manifest.Created.AddHours(25));
        Assert.NotNull(warning);
        Assert.Contains(backup.Manifest.Name, warning, StringComparison.Ordinal);
    }
}
