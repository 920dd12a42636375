using System.Globalization;
using System.Text.Json.Nodes;
using SpanRecovery.Repository;
using SpanRecovery.Storage;
using SpanRecovery.Tests.CliProcess;
using SpanRecovery.Tests.Restore;
using SpanRecovery.Tests.Sharding;
using static SpanRecovery.Tests.Restore.RestoreTestKit;

namespace SpanRecovery.Tests.RepositoryBackups;

/// <summary>
/// Repositories on S3-compatible storage (docs/repository.md), run as a user runs them: the real CLI against
/// the real s3rver on 127.0.0.1. Every repository command on <c>s3://</c>, copies local → S3 → local, damage at
/// rest, lock contention.
/// </summary>
[Collection(S3Collection.Name)]
public sealed class S3RepositoryTests(S3TestServer s3) : IDisposable
{
    private static readonly ulong Day = 86_400UL * 1_000_000_000;

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private Task<CliResult> Cli(params string[] args) => Spanrecovery.RunAsync(s3.Environment, args);

    private async Task<CliResult> Ok(params string[] args)
    {
        var result = await Cli(args);
        result.AssertClean(0);
        return result;
    }

    private static JsonArray Listed(CliResult list) => JsonNode.Parse(list.StdOut)!.AsArray();

    /// <summary>A full, an incremental and a differential of a source that grows between them; spans end long ago or a day ahead.</summary>
    private async Task<(string Source, List<string> Names)> BackUpChainAsync(string repo)
    {
        var source = _dir.File("source");
        Directory.CreateDirectory(source);
        var now = UnixNano(DateTimeOffset.UtcNow);
        File.WriteAllBytes(Path.Combine(source, "a.bin"), TimedRecord(1, now - Day, now - Day / 2, now + Day));
        await Ok("backup", "--repo", repo, "--source", source, "--type", "full");
        Append(Path.Combine(source, "a.bin"), TimedRecord(2, now - Day / 4, now + Day));
        await Ok("backup", "--repo", repo, "--source", source, "--type", "incremental");
        File.WriteAllBytes(Path.Combine(source, "b.bin"), TimedRecord(3, now - Day / 8, now + 2 * Day));
        await Ok("backup", "--repo", repo, "--source", source, "--type", "differential");
        var names = Listed(await Ok("backups", "list", "--repo", repo, "--json")).Select(b => b!["name"]!.GetValue<string>()).ToList();
        Assert.Equal(3, names.Count);
        return (source, names);
    }

    [Fact]
    public async Task Every_repository_command_works_on_an_s3_repository()
    {
        var repo = S3TestServer.NewLocation("repo");
        Assert.Contains(repo, (await Ok("repo", "init", repo)).StdOut, StringComparison.Ordinal);
        Assert.Equal(2, (await Cli("repo", "init", repo)).ExitCode); // already one
        var (source, names) = await BackUpChainAsync(repo);

        var show = JsonNode.Parse((await Ok("backups", "show", names[2], "--repo", repo, "--json")).StdOut)!;
        Assert.Equal(names[0], show["parent"]!.GetValue<string>());
        Assert.Contains("ok: 3 backups", (await Ok("backups", "verify", "--deep", "--repo", repo)).StdOut, StringComparison.Ordinal);
        var status = JsonNode.Parse((await Ok("backups", "status", "--repo", repo, "--json")).StdOut)!;
        Assert.Equal(3, status["backups"]!.GetValue<int>());
        Assert.True(status["storedBytes"]!.GetValue<long>() > 0);

        var restored = _dir.File("restored");
        await Ok("restore", "--repo", repo, "--backup", names[2], "--target", restored);
        Assert.Equal(Snapshot(source), Snapshot(restored));

        await using (var backend = new OtlpTestReceiver())
        {
            await Ok("restore", "--repo", repo, "--backup", names[2], "--target", backend.Endpoint.ToString().TrimEnd('/'));
            Assert.Equal((await SpansIn(source)).Select(s => (s.TraceId.ToLowerInvariant(), s.SpanId.ToLowerInvariant())).Order(),
                backend.DeliveredSpans().Order());
        }

        var dryRun = JsonNode.Parse((await Ok("backups", "expire", "--repo", repo, "--retention-full", "1", "--dry-run", "--json")).StdOut)!;
        Assert.Empty(dryRun["removed"]!.AsArray()); // one full: its chain stays
        await Ok("backup", "--repo", repo, "--source", source, "--type", "full");
        var expired = JsonNode.Parse((await Ok("backups", "expire", "--repo", repo, "--retention-full", "1", "--json")).StdOut)!;
        Assert.Equal(3, expired["removed"]!.AsArray().Count);
        Assert.Single(Listed(await Ok("backups", "list", "--repo", repo, "--json")));
        using var store = ObjectStores.Open(repo);
        Assert.All(await store.ListAsync("backups/"), o => Assert.DoesNotContain(names[0], o.Key, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_copy_local_to_s3_to_local_restores_exactly_the_spans_that_ended_by_the_time()
    {
        var local = _dir.File("repo");
        await Ok("repo", "init", local);
        var (source, names) = await BackUpChainAsync(local);
        var created = Listed(await Ok("backups", "list", "--repo", local, "--json")).Select(b => b!["created"]!.GetValue<DateTime>().ToUniversalTime()).ToList();
        // The time of the incremental: the differential, created after it, is read too, keeping the spans ended by then.
        var time = UnixNano(new DateTimeOffset(created[1]));
        var offsite = S3TestServer.NewLocation("offsite");
        var back = _dir.File("back");

        var copied = JsonNode.Parse((await Ok("repo", "copy", "--from", local, "--to", offsite, "--json")).StdOut)!;
        Assert.Equal(names, copied["copied"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Empty(JsonNode.Parse((await Ok("repo", "copy", "--from", local, "--to", offsite, "--json")).StdOut)!["copied"]!.AsArray());
        Directory.Delete(local, recursive: true);
        await Ok("repo", "copy", "--from", offsite, "--to", back);
        await Ok("backups", "verify", "--deep", "--repo", back);

        var expected = (await SpansIn(source)).Where(s => s.End <= time).Order().ToList();
        Assert.NotEmpty(expected);
        foreach (var repo in new[] { offsite, back })
        {
            var target = _dir.File($"pit-{Guid.NewGuid():N}");
            await Ok("restore", "--repo", repo, "--to-time", time.ToString(CultureInfo.InvariantCulture), "--target", target);
            Assert.Equal(expected, (await SpansIn(target)).Order().ToList());
        }
    }

    [Theory]
    [InlineData("segment")]
    [InlineData("manifest")]
    public async Task A_byte_flipped_at_rest_is_damage_naming_the_object(string damaged)
    {
        var repo = S3TestServer.NewLocation("flip");
        await Ok("repo", "init", repo);
        var (_, names) = await BackUpChainAsync(repo);
        var key = damaged == "segment" ? BackupRepository.SegmentKey(names[0], "0001.seg.zst") : BackupRepository.ManifestKey(names[0]);
        RepositoryTestKit.FlipByte(s3.ObjectFile($"{repo}/{key}"), 20);

        var verify = await Cli("backups", "verify", "--repo", repo);
        verify.AssertClean(1);
        Assert.Contains($"damaged: {key}", verify.StdOut, StringComparison.Ordinal);
        var restore = await Cli("restore", "--repo", repo, "--backup", names[1], "--target", _dir.File("target"));
        Assert.True(restore.ExitCode is 1 or 3, restore.ToString()); // a damaged manifest takes its chain out of the catalog
        Assert.DoesNotContain("   at ", restore.StdErr, StringComparison.Ordinal);
        Assert.Contains(damaged == "segment" ? key : names[0], restore.StdErr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_dir.File("target")));
    }

    [Fact]
    public async Task A_live_lock_of_another_host_refuses_writers_and_a_stale_one_is_taken_over()
    {
        var repo = S3TestServer.NewLocation("locked");
        var repository = BackupRepository.Init(repo, BackupStrategy.ThreeTwoOne);
        var source = _dir.File("source");
        Directory.CreateDirectory(source);
        File.WriteAllBytes(Path.Combine(source, "a.bin"), RepositoryTestKit.Records(1, 3));
        var lockKey = await repository.Store.HasAtomicCreateAsync() ? BackupRepository.LockKey : "locks/other-host.json";
        var live = new LockHolder(4242, "other-host", DateTime.UtcNow.AddHours(-3), Guid.NewGuid(), Refreshed: DateTime.UtcNow.AddMinutes(-1));
        await WriteAsync(repository.Store, lockKey, RepositoryJson.Serialize(live));

        var refused = await Cli("backup", "--repo", repo, "--source", source);
        refused.AssertClean(4);
        Assert.Contains("pid 4242 on other-host", refused.StdErr, StringComparison.Ordinal);
        Assert.Equal(4, (await Cli("backups", "expire", "--repo", repo)).ExitCode);
        var local = _dir.File("local");
        await new BackupManager(BackupRepository.Init(local, BackupStrategy.ThreeTwoOne)).CreateBackupAsync(source);
        (await Cli("repo", "copy", "--from", local, "--to", repo)).AssertClean(4);

        var stale = live with { Refreshed = DateTime.UtcNow - RepositoryLock.StaleAfter - TimeSpan.FromMinutes(1) };
        await WriteAsync(repository.Store, lockKey, RepositoryJson.Serialize(stale));
        await Ok("backup", "--repo", repo, "--source", source);
        Assert.Empty(await repository.Store.ListAsync("lock"));
    }

    [Fact]
    public async Task Writers_racing_for_an_s3_lock_never_both_hold_it()
    {
        var repository = BackupRepository.Init(S3TestServer.NewLocation("race"), BackupStrategy.ThreeTwoOne);
        // s3rver removes a directory with its last object and dies (an unhandled ENOENT) when a PUT into that
        // directory races the removal; an object that is not a lock (no .json) keeps locks/ from emptying.
        using (var keep = new MemoryStream([1]))
            await repository.Store.WriteAsync("locks/keep-directory", keep);
        for (var round = 0; round < 3; round++)
        {
            var attempts = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
            {
                try
                {
                    return await RepositoryLock.AcquireAsync(repository);
                }
                catch (RepositoryException e) when (e.Error == RepositoryError.LockHeld)
                {
                    return null;
                }
            })).ToArray();
            var holders = (await Task.WhenAll(attempts)).OfType<RepositoryLock>().ToList();
            Assert.True(holders.Count <= 1, $"{holders.Count} writers hold the lock at once");
            foreach (var holder in holders)
                await holder.DisposeAsync();
            await using var afterwards = await RepositoryLock.AcquireAsync(repository); // nothing left behind blocks the next writer
        }
    }

    [Fact]
    public async Task A_large_object_goes_up_in_parts_and_reads_back_whole()
    {
        using var store = new S3ObjectStore(S3TestServer.NewLocation("large"));
        var bytes = new byte[S3ObjectWriter.PartSize * 2 + 12345];
        new Random(3).NextBytes(bytes);
        await using (var writer = await store.CreateAsync("big"))
        {
            await writer.WriteAsync(bytes);
            Assert.Null(await store.SizeAsync("big")); // two parts are up, and nothing is visible before the commit
            await writer.CommitAsync(CancellationToken.None);
        }

        await using var read = (await store.OpenReadAsync("big"))!;
        using var copy = new MemoryStream();
        await read.CopyToAsync(copy);
        Assert.Equal(bytes, copy.ToArray());

        await using (var abandoned = await store.CreateAsync("abandoned"))
            await abandoned.WriteAsync(bytes);
        Assert.Null(await store.SizeAsync("abandoned"));
    }

    private static async Task WriteAsync(IObjectStore store, string key, byte[] bytes)
    {
        using var content = new MemoryStream(bytes);
        await store.WriteAsync(key, content);
    }

    private static void Append(string path, byte[] bytes) => RepositoryTestKit.Append(path, bytes);

    private static Dictionary<string, byte[]> Snapshot(string directory) => RepositoryTestKit.Snapshot(directory);
}
