using SpanRecovery.Repository;
using SpanRecovery.Restore;
using SpanRecovery.Tests.Restore;
using static SpanRecovery.Tests.Restore.RestoreTestKit;

namespace SpanRecovery.Tests.Encryption;

/// <summary>
/// An encrypted repository through the library: a chain of full, incremental and differential backups restores
/// byte for byte and to a point in time, also from a copy after the original is gone; no object shows a span
/// ID, raw or through zstd; the password is needed for everything but a verify of the stored objects; a
/// changed object is damage that names it; passwords change without touching the data.
/// </summary>
public sealed class EncryptedRepositoryTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly string _source;
    private readonly string _repositoryPath;

    public EncryptedRepositoryTests()
    {
        _source = _dir.File("source");
        Directory.CreateDirectory(_source);
        _repositoryPath = _dir.File("repo");
        EncryptionTestKit.Init(_repositoryPath);
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_full_incremental_differential_chain_restores_whole_and_to_a_point_in_time_also_from_a_copy()
    {
        var repository = EncryptionTestKit.Open(_repositoryPath);
        var chain = await EncryptionTestKit.BackUpChainAsync(repository, _source);

        foreach (var (manifest, files) in chain)
        {
            var (restored, result) = await RepositoryBackups.RepositoryTestKit.RestoreAsync(repository, manifest.Name);
            Assert.True(result.Verified);
            Assert.Equal(files, restored);
        }

        // 2:30 lies between the incremental (2:01) and the differential (3:01): the differential's spans that ended by then count.
        var time = EncryptionTestKit.PointInTime;
        var expected = (await SpansIn(_source)).Where(s => s.End <= time).Order().ToList();
        Assert.Contains(expected, s => s.End == EncryptionTestKit.At(140));
        await AssertPointInTimeAsync(repository, time, expected);

        var deep = await new BackupManager(repository).VerifyAsync(deep: true);
        Assert.True(deep.Ok, string.Join("; ", deep.Damaged));
        var copy = new RepositoryCopier(repository, _dir.File("copy")).Copy();
        Assert.True(copy.Ok);
        Assert.Equal(chain.Select(c => c.Manifest.Name), copy.Copied);
        Directory.Delete(_repositoryPath, recursive: true);

        var copied = BackupRepository.Open(_dir.File("copy"));
        Assert.True(copied.IsEncrypted);
        Assert.True((await new BackupManager(copied).VerifyAsync()).Ok); // without the password: the stored objects
        copied.Unlock(EncryptionTestKit.Password);
        Assert.True((await new BackupManager(copied).VerifyAsync(deep: true)).Ok);
        await AssertPointInTimeAsync(copied, time, expected);
    }

    private async Task AssertPointInTimeAsync(BackupRepository repository, ulong time, List<SpanKey> expected)
    {
        var target = _dir.File($"pit-{Guid.NewGuid():N}");
        var result = await new RecoveryManager(repository).RestoreToPointInTimeAsync(time, target);
        Assert.True(result.Verified);
        Assert.Equal(expected, (await SpansIn(target)).Order().ToList());
    }

    [Fact]
    public async Task No_object_holds_a_span_id_as_stored_or_through_zstd()
    {
        await EncryptionTestKit.BackUpChainAsync(EncryptionTestKit.Open(_repositoryPath), _source);
        var spans = await SpansIn(_source);
        EncryptionTestKit.AssertNoPlaintext(_repositoryPath, spans);

        // The check can fail: a plain repository of the same source shows them through zstd.
        var plain = BackupRepository.Init(_dir.File("plain"), BackupStrategy.ThreeTwoOne);
        await new BackupManager(plain).CreateBackupAsync(_source);
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => EncryptionTestKit.AssertNoPlaintext(plain.Path, spans));
    }

    [Fact]
    public async Task Without_the_password_only_a_verify_of_the_stored_objects_runs_and_a_wrong_one_fails_authentication()
    {
        var chain = await EncryptionTestKit.BackUpChainAsync(EncryptionTestKit.Open(_repositoryPath), _source);
        var locked = BackupRepository.Open(_repositoryPath);
        var manager = new BackupManager(locked);

        Assert.Equal(RepositoryError.PasswordRequired, Assert.Throws<RepositoryException>(() => manager.ListManifests()).Error);
        Assert.Equal(RepositoryError.PasswordRequired, (await Assert.ThrowsAsync<RepositoryException>(() => manager.CreateBackupAsync(_source))).Error);
        Assert.Equal(RepositoryError.PasswordRequired, (await Assert.ThrowsAsync<RepositoryException>(() => manager.VerifyAsync(deep: true))).Error);
        var stored = await manager.VerifyAsync(chain[^1].Manifest.Name);
        Assert.True(stored.Ok);
        Assert.Equal(2, stored.Backups); // the differential and its full, by the parents the checksums name
        Assert.Equal(3, (await manager.VerifyAsync()).Backups);

        var wrong = Assert.Throws<RepositoryException>(() => locked.Unlock("not the password"));
        Assert.Equal(RepositoryError.AuthenticationFailed, wrong.Error);
        Assert.Contains("authentication failed", wrong.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_changed_segment_or_manifest_is_damage_that_names_the_object()
    {
        var chain = await EncryptionTestKit.BackUpChainAsync(EncryptionTestKit.Open(_repositoryPath), _source);
        var repository = EncryptionTestKit.Open(_repositoryPath);
        var full = chain[0].Manifest;
        var segment = BackupRepository.SegmentKey(full.Name, full.Segments[0].Name);
        var segmentFile = Path.Combine(_repositoryPath, segment);
        RepositoryBackups.RepositoryTestKit.FlipByte(segmentFile, new FileInfo(segmentFile).Length / 2);

        foreach (var verifier in new[] { new BackupManager(repository), new BackupManager(BackupRepository.Open(_repositoryPath)) })
        {
            var result = await verifier.VerifyAsync();
            Assert.False(result.Ok);
            Assert.Contains(result.Damaged, d => d.Path == segment);
        }

        // A restore forced past the checksum gate still cannot read the changed chunk: authentication fails, naming it.
        await AssertForcedRestoreFailsAuthenticationAsync(repository, full.Name, segment);

        var manifest = BackupRepository.ManifestKey(chain[1].Manifest.Name);
        RepositoryBackups.RepositoryTestKit.FlipByte(Path.Combine(_repositoryPath, manifest), 40);
        var reopened = EncryptionTestKit.Open(_repositoryPath);
        var damaged = Assert.Throws<InvalidDataException>(() => new BackupManager(reopened).ReadManifest(chain[1].Manifest.Name));
        Assert.Contains("authentication failed", damaged.Message, StringComparison.Ordinal);
        Assert.Contains(manifest, damaged.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_segment_moved_into_another_backup_does_not_open_there()
    {
        var chain = await EncryptionTestKit.BackUpChainAsync(EncryptionTestKit.Open(_repositoryPath), _source);
        var repository = EncryptionTestKit.Open(_repositoryPath);
        var (full, incremental) = (chain[0].Manifest, chain[1].Manifest);
        var target = BackupRepository.SegmentKey(full.Name, full.Segments[0].Name);
        File.Copy(Path.Combine(_repositoryPath, BackupRepository.SegmentKey(incremental.Name, incremental.Segments[0].Name)), Path.Combine(_repositoryPath, target), overwrite: true);

        await AssertForcedRestoreFailsAuthenticationAsync(repository, full.Name, target);
    }

    /// <summary>A restore forced past the checksum gate reads the segment and reports that it does not authenticate, naming it.</summary>
    private async Task AssertForcedRestoreFailsAuthenticationAsync(BackupRepository repository, string backup, string segment)
    {
        using var log = new StringWriter();
        var result = await new RecoveryManager(repository).RestoreFromBackupAsync(backup, _dir.File($"forced-{Guid.NewGuid():N}"), new RestoreOptions(Force: true, Log: log));
        Assert.False(result.Verified);
        Assert.Contains($"{segment}: authentication failed", log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Passwords_are_added_and_removed_without_touching_the_data_and_the_last_one_stays()
    {
        await EncryptionTestKit.BackUpChainAsync(EncryptionTestKit.Open(_repositoryPath), _source);
        var before = RepositoryBackups.RepositoryTestKit.Snapshot(Path.Combine(_repositoryPath, "backups"));
        var first = BackupRepository.Open(_repositoryPath).Config.Encryption!.Keys.Single();

        RepositoryKeySlots.Add(EncryptionTestKit.Open(_repositoryPath), "second password", EncryptionTestKit.CheapKdf);
        Assert.Equal(3, new BackupManager(EncryptionTestKit.Open(_repositoryPath, "second password")).ListManifests().Count);
        RepositoryKeySlots.Remove(EncryptionTestKit.Open(_repositoryPath, "second password"), first.Id);

        Assert.Equal(RepositoryError.AuthenticationFailed,
            Assert.Throws<RepositoryException>(() => EncryptionTestKit.Open(_repositoryPath)).Error);
        var remaining = BackupRepository.Open(_repositoryPath).Config.Encryption!.Keys.Single();
        var last = Assert.Throws<RepositoryException>(() => RepositoryKeySlots.Remove(EncryptionTestKit.Open(_repositoryPath, "second password"), remaining.Id));
        Assert.Contains("last key", last.Message, StringComparison.Ordinal);
        Assert.Equal(before, RepositoryBackups.RepositoryTestKit.Snapshot(Path.Combine(_repositoryPath, "backups")));
    }

    [Fact]
    public async Task A_copy_stays_encrypted_and_goes_only_into_a_repository_with_the_same_key()
    {
        await EncryptionTestKit.BackUpChainAsync(EncryptionTestKit.Open(_repositoryPath), _source);
        var repository = EncryptionTestKit.Open(_repositoryPath);
        var plain = BackupRepository.Init(_dir.File("plain"), BackupStrategy.ThreeTwoOne);
        var other = EncryptionTestKit.Init(_dir.File("other"));

        foreach (var destination in new[] { plain.Path, other.Path })
            Assert.Equal(RepositoryError.InvalidRepository, Assert.Throws<RepositoryException>(() => new RepositoryCopier(repository, destination).Copy()).Error);
        Assert.Equal(RepositoryError.InvalidRepository, Assert.Throws<RepositoryException>(() => new RepositoryCopier(plain, other.Path).Copy()).Error);
        Assert.Equal(RepositoryError.PasswordRequired,
            Assert.Throws<RepositoryException>(() => new RepositoryCopier(BackupRepository.Open(_repositoryPath), _dir.File("copy")).Copy()).Error);
    }
}
