using SpanRecovery.Repository;
using SpanRecovery.Tests.OtlpReading;

namespace SpanRecovery.Tests.RepositoryBackups;

/// <summary>The single-writer lock and the cleanup of interrupted backups (docs/repository.md).</summary>
public sealed class RepositoryLockTests : IDisposable
{
    /// <summary>Above Linux's largest pid_max (2^22) and Windows' practical range: never a running process.</summary>
    private const int DeadPid = 99_999_999;

    private readonly TempDirectory _dir = new();
    private readonly BackupRepository _repository;
    private readonly string _source;

    public RepositoryLockTests()
    {
        _repository = BackupRepository.Init(_dir.File("repo"), BackupStrategy.ThreeTwoOne);
        _source = _dir.File("source");
        _dir.WriteFile("source/a.bin", RepositoryTestKit.Records(1, 3));
    }

    public void Dispose() => _dir.Dispose();

    private void WriteLock(int pid) =>
        File.WriteAllBytes(_repository.LockPath, RepositoryJson.Serialize(new LockHolder(pid, Environment.MachineName, new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc))));

    [Fact]
    public async Task A_live_lock_refuses_the_writer_and_names_the_holder()
    {
        WriteLock(Environment.ProcessId);

        var error = await Assert.ThrowsAsync<RepositoryException>(() => new BackupManager(_repository).CreateBackupAsync(_source));

        Assert.Equal(RepositoryError.LockHeld, error.Error);
        Assert.Contains($"pid {Environment.ProcessId}", error.Message, StringComparison.Ordinal);
        Assert.Contains(Environment.MachineName, error.Message, StringComparison.Ordinal);
        Assert.Contains("2026-01-02T03:04:05Z", error.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(_repository.LockPath), "another writer's lock must stay");
        Assert.Empty(await _repository.CommittedNamesAsync());
    }

    [Fact]
    public async Task A_stale_lock_of_a_dead_process_is_taken_over_and_released()
    {
        WriteLock(DeadPid);

        var result = await new BackupManager(_repository).CreateBackupAsync(_source);

        Assert.Equal(BackupType.Full, result.Metadata.Type);
        Assert.False(File.Exists(_repository.LockPath));
    }

    [Fact]
    public async Task Writers_racing_to_take_over_one_stale_lock_end_with_exactly_one_holder()
    {
        for (var round = 0; round < 50; round++)
        {
            WriteLock(DeadPid);
            using var start = new Barrier(6);
            var outcomes = Enumerable.Range(0, 6).Select(_ => Task.Factory.StartNew(async () =>
            {
                start.SignalAndWait();
                try
                {
                    return await RepositoryLock.AcquireAsync(_repository);
                }
                catch (RepositoryException e) when (e.Error == RepositoryError.LockHeld)
                {
                    return null;
                }
            }, TaskCreationOptions.LongRunning).Unwrap()).ToArray();
            var holders = (await Task.WhenAll(outcomes)).OfType<RepositoryLock>().ToList();
            Assert.Single(holders);
            await holders[0].DisposeAsync();
            Assert.False(File.Exists(_repository.LockPath));
        }
    }

    [Fact]
    public async Task The_lock_is_released_when_a_backup_fails()
    {
        // Cancellation is a failure we can cause on every platform after the lock is taken.
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new BackupManager(_repository).CreateBackupAsync(_source, null, cancelled.Token));

        Assert.False(File.Exists(_repository.LockPath));
        Assert.Empty(Directory.EnumerateDirectories(_repository.BackupsDirectory));
    }

    [Fact]
    public async Task The_next_writer_removes_a_backup_directory_without_manifest()
    {
        var debris = Path.Combine(_repository.BackupsDirectory, "20200101-000000F");
        Directory.CreateDirectory(debris);
        File.WriteAllBytes(Path.Combine(debris, "0001.seg.zst"), [1, 2, 3]);
        var manager = new BackupManager(_repository);
        Assert.Empty(manager.ListBackups());

        var result = await manager.CreateBackupAsync(_source);

        Assert.False(Directory.Exists(debris));
        Assert.Equal([result.Metadata.Name], manager.ListBackups().Select(b => b.Name));
        Assert.True((await manager.VerifyAsync()).Ok);
    }

    [Fact]
    public async Task An_incremental_asked_for_in_an_empty_repository_is_a_full()
    {
        var result = await new BackupManager(_repository).CreateBackupAsync(_source, BackupType.Incremental);

        Assert.Equal(BackupType.Full, result.Metadata.Type);
        Assert.Null(result.Manifest.Parent);
        Assert.Equal(3, result.Manifest.Totals.Spans);
    }

    [Fact]
    public async Task A_repository_inside_the_source_is_not_backed_up()
    {
        var inside = BackupRepository.Init(Path.Combine(_source, "repo"), BackupStrategy.ThreeTwoOne);
        var manager = new BackupManager(inside);

        await manager.CreateBackupAsync(_source);
        var second = await manager.CreateBackupAsync(_source);

        Assert.Equal(["a.bin"], second.Manifest.Files.Select(f => f.Path));
        Assert.Empty(second.Manifest.Segments);
    }
}
