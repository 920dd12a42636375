using FsCheck;
using FsCheck.Xunit;
using SpanRecovery.Repository;
using SpanRecovery.Restore;
using SpanRecovery.Tests.RepositoryBackups;
using static SpanRecovery.Tests.Restore.RestoreTestKit;

namespace SpanRecovery.Tests.Restore;

/// <summary>
/// Point-in-time restore against an oracle computed from the source (docs/restore.md): hourly backups of a
/// directory that a collector appends to (spans arriving late, files rotated away), a second full part way,
/// and a random time T. The restore must hold exactly the spans that ended by T among those captured by
/// the backups around T — the chain member at or after T, plus the next chain's full when that starts
/// after T — each once.
/// </summary>
public sealed class PointInTimeProperties
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
    private const ulong Hour = 3_600_000_000_000;

    [Property(MaxTest = 30)]
    public async Task Restore_to_a_time_holds_exactly_the_spans_that_ended_by_then(PositiveInt seed)
    {
        var random = new Random(seed.Get);
        using var dir = new TempDirectory();
        var source = Path.Combine(dir.Path, "source");
        Directory.CreateDirectory(source);
        var clock = new ManualClock(Start);
        var repository = BackupRepository.Init(Path.Combine(dir.Path, "repo"), BackupStrategy.ThreeTwoOne);
        var manager = new BackupManager(repository, timeProvider: clock);

        // Each hour: a record into the active file, its spans ending in the past two hours (some late);
        // sometimes a rotation (new active file) or an old file removed; then a backup at the hour.
        var backups = new List<(BackupManifest Manifest, List<SpanKey> Source)>();
        var active = "traces-0.bin";
        var hours = 3 + random.Next(6);
        for (var hour = 1; hour <= hours; hour++)
        {
            var now = UnixNano(Start) + (ulong)hour * Hour;
            var ends = Enumerable.Range(0, 1 + random.Next(4)).Select(_ => now - (ulong)random.NextInt64(1, (long)(2 * Hour))).ToArray();
            RepositoryTestKit.Append(Path.Combine(source, active), TimedRecord(hour * 100 + seed.Get % 100, ends));
            if (random.Next(3) == 0)
                active = $"traces-{hour}.bin";
            var files = Directory.GetFiles(source);
            if (files.Length > 2 && random.Next(3) == 0)
                File.Delete(files.Order(StringComparer.Ordinal).First());

            clock.Now = Start.AddHours(hour).AddMinutes(1);
            BackupType? type = hour == 1 || hour == 1 + hours / 2 ? BackupType.Full : random.Next(2) == 0 ? BackupType.Incremental : BackupType.Differential;
            var backup = await manager.CreateBackupAsync(source, type);
            backups.Add((backup.Manifest, await SpansIn(source)));
        }

        var time = UnixNano(Start) + (ulong)random.NextInt64(0, (long)((ulong)(hours + 1) * Hour));
        var target = Path.Combine(dir.Path, "restored");
        var expected = Oracle(backups, time);
        if (expected is null)
        {
            await Assert.ThrowsAsync<BackupNotFoundException>(() => new RecoveryManager(repository).RestoreToPointInTimeAsync(time, target));
            Assert.False(Directory.Exists(target));
            return;
        }

        var result = await new RecoveryManager(repository).RestoreToPointInTimeAsync(time, target);
        var restored = await SpansIn(target);
        Assert.Equal(expected.Order(), restored.Order());
        Assert.Equal(expected.Count, result.Spans);
        Assert.True(result.Verified);
    }

    /// <summary>
    /// docs/restore.md computed from the backups' creation times and the source as each backup saw it: null when
    /// no full was created by T.
    /// </summary>
    private static List<SpanKey>? Oracle(List<(BackupManifest Manifest, List<SpanKey> Source)> backups, ulong time)
    {
        bool CreatedBy((BackupManifest Manifest, List<SpanKey> _) b) => UnixNano(b.Manifest.Created) <= time;
        var fullIndex = backups.FindLastIndex(b => b.Manifest.BackupType == BackupType.Full && CreatedBy(b));
        if (fullIndex < 0)
            return null;
        var nextFull = backups.FindIndex(fullIndex + 1, b => b.Manifest.BackupType == BackupType.Full);
        var chainEnd = nextFull < 0 ? backups.Count : nextFull;
        var memberIndex = backups.FindIndex(fullIndex, chainEnd - fullIndex, b => !CreatedBy(b));
        var captured = backups[memberIndex < 0 ? chainEnd - 1 : memberIndex].Source;
        var firstAfter = backups.FindIndex(b => !CreatedBy(b));
        if (firstAfter >= chainEnd)
            captured = [.. captured, .. backups[firstAfter].Source];
        return [.. captured.Where(s => s.End <= time).Distinct()];
    }
}
