using System.Diagnostics;
using SpanRecovery.Generation;
using SpanRecovery.Repository;
using SpanRecovery.Storage;
using SpanRecovery.Tests.CliProcess;
using SpanRecovery.Tests.Sharding;

namespace SpanRecovery.Tests.RepositoryBackups;

/// <summary>
/// Writers to an S3 repository killed (SIGKILL) in the middle of an upload: no backup becomes visible, and the
/// next writer takes the dead writer's lock over, removes its debris and commits.
/// </summary>
[Collection(S3Collection.Name)]
public sealed class S3CrashTests(S3TestServer s3) : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_backup_killed_during_its_upload_leaves_no_backup_and_the_next_one_cleans_up()
    {
        var source = Source();
        var repo = S3TestServer.NewLocation("killed-backup");
        BackupRepository.Init(repo, BackupStrategy.ThreeTwoOne);

        await KillOnceUploadingAsync(repo, "backup", "--repo", repo, "--source", source);

        await AssertCleanedUpByTheNextWriterAsync(repo, "backup", "--repo", repo, "--source", source);
    }

    [Fact]
    public async Task A_copy_killed_during_its_upload_leaves_no_backup_and_a_rerun_completes_it()
    {
        var local = _dir.File("local");
        await new BackupManager(BackupRepository.Init(local, BackupStrategy.ThreeTwoOne)).CreateBackupAsync(Source());
        var offsite = S3TestServer.NewLocation("killed-copy");

        await KillOnceUploadingAsync(offsite, "repo", "copy", "--from", local, "--to", offsite);

        await AssertCleanedUpByTheNextWriterAsync(offsite, "repo", "copy", "--from", local, "--to", offsite);
    }

    /// <summary>
    /// Many files, so the first segments are up while the next ones are still being written: each is an upload
    /// of its own, so the writer is still busy well after the first one shows (with four files a fast machine
    /// finished a copy before the test could see a segment and kill it; with 40, a loaded one still did once,
    /// while the other tests running beside it kept the watching loop from running for that long).
    /// </summary>
    private string Source()
    {
        var source = _dir.File("source");
        ArchiveGenerator.Generate(source, new GeneratorOptions(160_000, Seed: 11, Files: 200));
        return source;
    }

    /// <summary>
    /// Runs the command and kills it as soon as s3rver holds a first whole segment object of a backup (its metadata
    /// file is written last). That is watched on s3rver's disk rather than through listings: a listing took longer
    /// than a fast writer needed for all the rest.
    /// </summary>
    private async Task KillOnceUploadingAsync(string repo, params string[] args)
    {
        var start = Spanrecovery.StartInfo(args);
        foreach (var (name, value) in s3.Environment)
            start.Environment[name] = value;
        using var store = ObjectStores.Open(repo);
        using (var process = Process.Start(start)!)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            var deadline = Stopwatch.StartNew();
            var backups = s3.PrefixDirectory($"{repo}/{BackupRepository.BackupsPrefix}");
            while (!process.HasExited && !HasWholeSegment(backups))
            {
                Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(90), "no segment was uploaded");
                await Task.Delay(1);
            }

            Assert.False(process.HasExited, $"{string.Join(' ', args)} finished before it could be killed");
            process.Kill(entireProcessTree: false);
            await process.WaitForExitAsync();
            await Task.WhenAll(output, errors);

        }

        var objects = await store.ListAsync(BackupRepository.BackupsPrefix);
        Assert.Contains(objects, o => o.Key.EndsWith(".seg.zst", StringComparison.Ordinal)); // killed mid-upload: debris is there
        Assert.DoesNotContain(objects, o => o.Key.EndsWith(BackupRepository.ManifestFileName, StringComparison.Ordinal));
        var list = await Spanrecovery.RunAsync(s3.Environment, "backups", "list", "--repo", repo, "--json");
        list.AssertClean(0);
        Assert.Equal("[]", list.StdOut.Trim());
    }

    private static bool HasWholeSegment(string directory) =>
        Directory.Exists(directory) && Directory.EnumerateFiles(directory, "*.seg.zst._S3rver_metadata.json", SearchOption.AllDirectories).Any();

    private async Task AssertCleanedUpByTheNextWriterAsync(string repo, params string[] args)
    {
        (await Spanrecovery.RunAsync(s3.Environment, args)).AssertClean(0);

        var repository = BackupRepository.Open(repo);
        var committed = Assert.Single(new BackupManager(repository).ListManifests()).Name;
        var objects = await repository.Store.ListAsync("");
        Assert.All(objects.Where(o => o.Key.StartsWith(BackupRepository.BackupsPrefix, StringComparison.Ordinal)),
            o => Assert.StartsWith(BackupRepository.BackupPrefix(committed), o.Key, StringComparison.Ordinal));
        Assert.DoesNotContain(objects, o => o.Key.StartsWith("lock", StringComparison.Ordinal)); // the dead writer's lock was taken over and released
        (await Spanrecovery.RunAsync(s3.Environment, "backups", "verify", "--deep", "--repo", repo)).AssertClean(0);
    }
}
