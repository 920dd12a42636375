using System.Text;
using SpanRecovery.Repository;
using SpanRecovery.Tests.OtlpReading;
using static SpanRecovery.Tests.RepositoryBackups.RepositoryTestKit;

namespace SpanRecovery.Tests.RepositoryBackups;

/// <summary>
/// The first bar: a source directory grown in steps (appends, a rotated file, a rewritten file, a
/// half-written tail record) backed up full → incremental → incremental → differential.
/// </summary>
public sealed class BackupChainTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly string _source;
    private readonly BackupManager _manager;

    public BackupChainTests()
    {
        _source = Path.Combine(_dir.Path, "source");
        Directory.CreateDirectory(_source);
        _manager = new BackupManager(BackupRepository.Init(Path.Combine(_dir.Path, "repo"), BackupStrategy.ThreeTwoOne));
    }

    public void Dispose() => _dir.Dispose();

    private string Source(string name) => Path.Combine(_source, name);

    /// <summary>Runs the four steps; returns each backup with the source as it was when the backup was taken.</summary>
    private async Task<List<(BackupResult Backup, Dictionary<string, byte[]> Source)>> GrowAndBackUpAsync()
    {
        var results = new List<(BackupResult, Dictionary<string, byte[]>)>();
        var halfLine = TestInputs.JsonDocument(20, 0);
        var halfRecord = Records(30, 5);

        // Full: a.bin 5 spans, b.bin 3, c.jsonl 2 complete lines (+ half a line that must wait).
        File.WriteAllBytes(Source("a.bin"), Records(1, 3, 2));
        File.WriteAllBytes(Source("b.bin"), Records(5, 3));
        File.WriteAllBytes(Source("c.jsonl"), TestInputs.Concat(TestInputs.JsonLines(TestInputs.JsonDocument(10, 0), TestInputs.JsonDocument(10, 1)),
            Encoding.UTF8.GetBytes(halfLine[..40])));
        results.Add((await _manager.CreateBackupAsync(_source), Snapshot(_source)));

        // Incremental 1: a.bin +4, rotated file a-1.bin 2, the JSON line completed +1.
        Append(Source("a.bin"), Records(3, 4));
        File.WriteAllBytes(Source("a-1.bin"), Records(4, 2));
        Append(Source("c.jsonl"), Encoding.UTF8.GetBytes(halfLine[40..] + "\n"));
        results.Add((await _manager.CreateBackupAsync(_source), Snapshot(_source)));

        // Incremental 2: b.bin rewritten shorter (1), a.bin +2 and a half-written record that must wait.
        File.WriteAllBytes(Source("b.bin"), Records(6, 1));
        Append(Source("a.bin"), TestInputs.Concat(Records(7, 2), halfRecord[..10]));
        results.Add((await _manager.CreateBackupAsync(_source), Snapshot(_source)));

        // Differential: against the full — a.bin 4+2+5 (the tail completed), a-1.bin 2, b.bin 1, c.jsonl 1.
        Append(Source("a.bin"), halfRecord[10..]);
        results.Add((await _manager.CreateBackupAsync(_source, BackupType.Differential), Snapshot(_source)));
        return results;
    }

    [Fact]
    public async Task Four_backups_have_the_right_types_parents_and_span_counts()
    {
        var results = await GrowAndBackUpAsync();

        var list = _manager.ListManifests();
        Assert.Equal(results.Select(r => r.Backup.Manifest.Name), list.Select(m => m.Name));
        Assert.Equal(["full", "incremental", "incremental", "differential"], list.Select(m => m.Type));
        Assert.Equal([null, list[0].Name, list[1].Name, list[0].Name], list.Select(m => m.Parent));
        Assert.Equal([10L, 7, 3, 15], list.Select(m => m.Totals.Spans));
        Assert.All(list, m => Assert.Equal(0, m.Validation.Errors));
        Assert.EndsWith("F", list[0].Name, StringComparison.Ordinal);
        Assert.StartsWith(list[0].Name + "_", list[3].Name, StringComparison.Ordinal);
        Assert.EndsWith("D", list[3].Name, StringComparison.Ordinal);
        Assert.All(list.Skip(1), m => Assert.NotNull(m.ParentManifestSha256));
        Assert.Equal(list.Select(m => m.Name), _manager.ListBackups().Select(b => b.Name));
        Assert.All(_manager.ListBackups(), b => Assert.True(b.Size > 0));
    }

    [Fact]
    public async Task Each_backup_restores_the_source_bytes_as_they_were_when_backed_up()
    {
        var results = await GrowAndBackUpAsync();

        foreach (var (backup, source) in results)
        {
            var (restored, result) = await RestoreAsync(_manager.Repository, backup.Manifest.Name);
            Assert.Equal(source.Keys.Order(StringComparer.Ordinal), restored.Keys.Order(StringComparer.Ordinal));
            foreach (var state in backup.Manifest.Files)
                Assert.Equal(source[state.Path].AsSpan(0, (int)state.CaptureEnd).ToArray(), restored[state.Path]);
            Assert.True(result.Verified);
        }

        // The half-written record of incremental 2 was left out, then captured by the differential.
        var a2 = results[2].Backup.Manifest.Files.Single(f => f.Path == "a.bin");
        Assert.Equal(results[2].Source["a.bin"].Length - 10, a2.CaptureEnd);
        var a3 = results[3].Backup.Manifest.Files.Single(f => f.Path == "a.bin");
        Assert.Equal(results[3].Source["a.bin"].Length, a3.CaptureEnd);
        // The rewritten file was captured again whole; an unchanged one contributed no segment.
        Assert.Equal(0, results[2].Backup.Manifest.Files.Single(f => f.Path == "b.bin").CaptureStart);
        Assert.Null(results[2].Backup.Manifest.Files.Single(f => f.Path == "c.jsonl").Segment);
    }

    [Fact]
    public async Task Verify_passes_and_names_each_damaged_segment_and_a_broken_chain()
    {
        var results = await GrowAndBackUpAsync();
        Assert.True((await _manager.VerifyAsync()).Ok);
        Assert.True((await _manager.VerifyAsync(results[3].Backup.Manifest.Name)).Ok);

        foreach (var (backup, _) in results)
        {
            foreach (var segment in backup.Manifest.Segments)
            {
                var path = Path.Combine(backup.Metadata.Path, segment.Name);
                FlipByte(path, new FileInfo(path).Length / 2);
                var result = await _manager.VerifyAsync();
                Assert.False(result.Ok);
                var damage = Assert.Single(result.Damaged);
                Assert.Equal($"backups/{backup.Manifest.Name}/{segment.Name}", damage.Path);
                Assert.Contains("sha256", damage.Problem, StringComparison.Ordinal);
                FlipByte(path, new FileInfo(path).Length / 2);
            }
        }

        Assert.True((await _manager.VerifyAsync()).Ok);
        var fullManifest = _manager.Repository.ManifestPath(results[0].Backup.Manifest.Name);
        File.AppendAllText(fullManifest, " ");
        var broken = await _manager.VerifyAsync(results[1].Backup.Manifest.Name);
        Assert.False(broken.Ok);
        Assert.Contains(broken.Damaged, d => d.Path == $"backups/{results[0].Backup.Manifest.Name}/manifest.json" && d.Problem.Contains("chain", StringComparison.Ordinal));
    }
}
