using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using SpanRecovery.Repository;
using SpanRecovery.Restore;
using SpanRecovery.Tests.Restore;
using static SpanRecovery.Tests.RepositoryBackups.RepositoryTestKit;

namespace SpanRecovery.Tests.RepositoryBackups;

/// <summary>
/// docs/repository.md "Confinement" as a property: random sequences of backups, damages (<see cref="ManifestDamages"/>),
/// expiries, copies, verifications and restores never read-write or delete anything in the directory beside the
/// repository, and every failure is one of the documented kinds — never a crash.
/// </summary>
public sealed class DamagedRepositoryProperties
{
    [Property(MaxTest = 25)]
    public Property No_sequence_of_operations_on_a_damaged_repository_touches_anything_outside_it() =>
        Prop.ForAll(Arb.From(Gen.Choose(0, int.MaxValue)), seed => RunAsync(seed).GetAwaiter().GetResult());

    private static async Task RunAsync(int seed)
    {
        var random = new Random(seed);
        using var dir = new TempDirectory();
        var source = Directory.CreateDirectory(dir.File("source")).FullName;
        var outside = dir.File("outside");
        Directory.CreateDirectory(Path.Combine(outside, "x"));
        File.WriteAllText(Path.Combine(outside, "x", "keep.txt"), "must survive");
        File.WriteAllBytes(Path.Combine(outside, "x", "0001.seg.zst"), [1, 2, 3]);
        var clock = new ManualClock(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));
        var repository = BackupRepository.Init(dir.File("repo"), BackupStrategy.ThreeTwoOne);
        var steps = new List<string>();
        var expected = Snapshot(outside);
        for (var step = 0; step < 14; step++)
        {
            var names = await repository.CommittedNamesAsync();
            var operation = names.Count == 0 ? 0 : random.Next(8);
            steps.Add(operation.ToString(System.Globalization.CultureInfo.InvariantCulture));
            try
            {
                switch (operation)
                {
                    case 0:
                        Append(Path.Combine(source, $"f{random.Next(3)}.bin"), Records(random.Next(1000), 1 + random.Next(4)));
                        clock.Now = clock.Now.AddHours(1);
                        await new BackupManager(repository, timeProvider: clock).CreateBackupAsync(source, (BackupType)random.Next(3));
                        break;
                    case 1:
                        // Each damage goes to a backup that is still sound, so the damages themselves stay beside the repository.
                        var intact = (await repository.ReadCatalogAsync()).Intact;
                        if (intact.Count == 0)
                            break;
                        var damage = ManifestDamages.All[random.Next(ManifestDamages.All.Length)];
                        var victim = intact[random.Next(intact.Count)].Name;
                        steps[^1] += $" {damage} {victim}";
                        try
                        {
                            ManifestDamages.Apply(repository, victim, damage, outside);
                        }
                        catch (Exception e) when (e is NullReferenceException or InvalidOperationException or System.Text.Json.JsonException or IOException)
                        {
                            // That damage does not apply to this backup (no segment, already damaged): the attacker moves on.
                        }

                        expected = Snapshot(outside); // the attacker's own writes out there are not the product's
                        break;
                    case 2:
                        new BackupExpiry(repository).Expire(new RetentionPolicy(Full: 1 + random.Next(2)), clock.Now.UtcDateTime);
                        break;
                    case 3:
                        new RepositoryCopier(repository, dir.File("copy")).Copy();
                        break;
                    case 4:
                        await new BackupManager(repository).VerifyAsync(deep: random.Next(2) == 0);
                        break;
                    case 5:
                        await new RecoveryManager(repository).RestoreFromBackupAsync(names[random.Next(names.Count)], dir.File($"restored-{step}"));
                        break;
                    case 6:
                        await new RecoveryManager(repository).RestoreToPointInTimeAsync(RestoreTestKit.UnixNano(clock.Now), dir.File($"pit-{step}"));
                        break;
                    default:
                        RepositoryStatus.Read(new BackupManager(repository), clock.Now.UtcDateTime);
                        break;
                }
            }
            catch (Exception e) when (e is RecoveryException or RepositoryException or InvalidDataException)
            {
                // Documented outcomes on a damaged repository.
            }

            Assert.True(expected.Count == Snapshot(outside).Count && expected.All(f => Snapshot(outside).TryGetValue(f.Key, out var bytes) && bytes.AsSpan().SequenceEqual(f.Value)),
                $"seed {seed}: the directory beside the repository changed after steps {string.Join(", ", steps)}");
        }
    }
}
