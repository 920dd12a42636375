using System.Text.Json.Nodes;
using SpanRecovery.Repository;
using SpanRecovery.Restore;
using SpanRecovery.Tests.Restore;
using static SpanRecovery.Tests.RepositoryBackups.RepositoryTestKit;

namespace SpanRecovery.Tests.RepositoryBackups;

/// <summary>
/// Manifests are input: each damage below was once able to make a command read, write or delete outside the
/// repository, or crash it. Every one must be reported as damaged by <c>verify</c>, skipped by the other
/// commands, and leave the directory beside the repository untouched, while an intact independent full
/// backup still restores.
/// </summary>
public sealed class HostileRepositoryTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly string _source;
    private readonly string _outside;

    public HostileRepositoryTests()
    {
        _source = _dir.File("source");
        _outside = _dir.File("outside");
        Directory.CreateDirectory(_source);
        Directory.CreateDirectory(Path.Combine(_outside, "x"));
        File.WriteAllText(Path.Combine(_outside, "x", "keep.txt"), "must survive");
        File.WriteAllBytes(Path.Combine(_outside, "x", "0001.seg.zst"), [1, 2, 3]);
    }

    public void Dispose() => _dir.Dispose();

    /// <summary>Where "backup-directory-copied" puts a copy of the incremental's directory.</summary>
    private const string CopiedName = ManifestDamages.CopiedName;

    public static TheoryData<string> Damages() => [.. ManifestDamages.All];

    private void Damage(BackupRepository repository, string incremental, string damage) => ManifestDamages.Apply(repository, incremental, damage, _outside);

    /// <summary>full → incremental (to be damaged) → an independent second full, an hour apart each.</summary>
    private async Task<(BackupRepository Repository, string Full, string Incremental, string SecondFull)> BuildAsync()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));
        var repository = BackupRepository.Init(_dir.File("repo"), BackupStrategy.ThreeTwoOne);
        var manager = new BackupManager(repository, timeProvider: clock);
        File.WriteAllBytes(Path.Combine(_source, "a.bin"), Records(1, 3, 2));
        var full = (await manager.CreateBackupAsync(_source, BackupType.Full)).Metadata.Name;
        clock.Now = clock.Now.AddHours(1);
        Append(Path.Combine(_source, "a.bin"), Records(10, 4));
        var incremental = (await manager.CreateBackupAsync(_source, BackupType.Incremental)).Metadata.Name;
        clock.Now = clock.Now.AddHours(1);
        File.WriteAllBytes(Path.Combine(_source, "b.bin"), Records(20, 2));
        var secondFull = (await manager.CreateBackupAsync(_source, BackupType.Full)).Metadata.Name;
        return (repository, full, incremental, secondFull);
    }

    [Theory]
    [MemberData(nameof(Damages))]
    public async Task A_damaged_manifest_is_reported_skipped_and_never_acted_through(string damage)
    {
        var (repository, full, incremental, secondFull) = await BuildAsync();
        Damage(repository, incremental, damage);
        var outsideBefore = Snapshot(_outside);
        var warnings = new StringWriter();
        repository = BackupRepository.Open(repository.Path, warnings);
        var manager = new BackupManager(repository);

        var damaged = damage == "backup-directory-copied" ? CopiedName : incremental;

        var verify = await manager.VerifyAsync();
        Assert.False(verify.Ok);
        Assert.Contains(verify.Damaged, d => d.Path.Contains(damaged, StringComparison.Ordinal));
        Assert.DoesNotContain(verify.Damaged, d => d.Path.Contains(secondFull, StringComparison.Ordinal));

        var listed = manager.ListManifests().Select(m => m.Name).ToList();
        Assert.Contains(full, listed);
        Assert.Contains(secondFull, listed);
        if (damage is "segment-symlink" or "chain-gap")
        {
            // Each manifest is sound; the stored data or the chain is not, which verify and restore both find.
            await Assert.ThrowsAsync<CorruptedBackupException>(() => RestoreAsync(repository, incremental));
        }
        else
        {
            Assert.DoesNotContain(damaged, listed);
            Assert.Contains("damaged", warnings.ToString(), StringComparison.Ordinal);
        }

        var (restored, result) = await RestoreAsync(repository, secondFull);
        Assert.True(result.Verified);
        Assert.Equal(Snapshot(_source), restored);
        var pointInTime = _dir.File("pit");
        Assert.True((await new RecoveryManager(repository).RestoreToPointInTimeAsync(ulong.MaxValue / 2, pointInTime)).Verified);

        var verifyChain = await manager.VerifyAsync(secondFull);
        Assert.True(verifyChain.Ok, string.Join("; ", verifyChain.Damaged));

        File.WriteAllBytes(Path.Combine(_source, "c.bin"), Records(30, 1));
        var next = await new BackupManager(repository, timeProvider: new ManualClock(new DateTimeOffset(2026, 11, 2, 0, 0, 0, TimeSpan.Zero)))
            .CreateBackupAsync(_source, BackupType.Incremental);
        Assert.StartsWith(repository.BackupsDirectory + Path.DirectorySeparatorChar, next.Metadata.Path, StringComparison.Ordinal);

        new BackupExpiry(repository).Expire(new RetentionPolicy(Full: 1), DateTime.UtcNow);
        new RepositoryCopier(repository, _dir.File("copy")).Copy();

        Assert.Equal(outsideBefore, Snapshot(_outside));
    }

    [Fact]
    public async Task A_manifest_link_over_a_restored_directory_never_makes_the_restore_write_through_it()
    {
        Directory.CreateDirectory(Path.Combine(_source, "sub"));
        File.WriteAllBytes(Path.Combine(_source, "sub", "a.bin"), Records(1, 2));
        var repository = BackupRepository.Init(_dir.File("repo"), BackupStrategy.ThreeTwoOne);
        var full = (await new BackupManager(repository).CreateBackupAsync(_source)).Manifest;
        // A hostile edit: "sub" is also a link out of the target, listed before the file below it.
        var path = repository.ManifestPath(full.Name);
        var json = JsonNode.Parse(File.ReadAllBytes(path))!;
        var link = JsonNode.Parse($$"""{"path":"sub","captureStart":0,"captureEnd":0,"prefixSha256":"{{FileState.EmptySha256}}","segment":null,"linkTarget":"{{Path.Combine(_outside, "x")}}"}""");
        json["files"]!.AsArray().Insert(0, link);
        File.WriteAllText(path, json.ToJsonString());
        var outsideBefore = Snapshot(_outside);
        using var log = new StringWriter();

        var result = await new RecoveryManager(BackupRepository.Open(repository.Path)).RestoreFromBackupAsync(full.Name, _dir.File("target"), new RestoreOptions(Log: log));

        Assert.True(result.Verified);
        Assert.Equal(File.ReadAllBytes(Path.Combine(_source, "sub", "a.bin")), File.ReadAllBytes(Path.Combine(_dir.File("target"), "sub", "a.bin")));
        Assert.Null(new DirectoryInfo(Path.Combine(_dir.File("target"), "sub")).LinkTarget);
        Assert.Contains("was not restored", log.ToString(), StringComparison.Ordinal);
        Assert.Equal(outsideBefore, Snapshot(_outside));
    }

    [Fact]
    public async Task A_crafted_chain_of_thousands_of_backups_is_read_in_linear_time()
    {
        var (repository, _, incremental, _) = await BuildAsync();
        var template = JsonNode.Parse(File.ReadAllBytes(repository.ManifestPath(incremental)))!;
        var parent = incremental;
        for (var i = 0; i < 3000; i++)
        {
            // Named so that the newest sorts first: a recursive walk would go 3,000 parents deep from the start.
            var name = $"20261101-000000F_{9999 - (i % 10000):D4}{i:D5}-000000I";
            var json = template.DeepClone();
            json["name"] = name;
            json["parent"] = parent;
            Directory.CreateDirectory(repository.BackupDirectory(name));
            File.WriteAllText(repository.ManifestPath(name), json.ToJsonString());
            parent = name;
        }

        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        var catalog = await repository.ReadCatalogAsync();

        Assert.Equal(3003, catalog.Intact.Count);
        Assert.InRange(stopwatch.Elapsed.TotalSeconds, 0, 20);
    }
}
