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
