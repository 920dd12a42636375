using System.Diagnostics;
using System.Text.Json;
using SpanRecovery.Storage;

namespace SpanRecovery.Repository;

/// <summary>Who holds a repository's lock: enough to tell a live writer from a dead one and to name it to the user.</summary>
/// <param name="Nonce">Tells two holders with the same pid apart (a pid reused, two locks of one process).</param>
/// <param name="Refreshed">When the holder last said it is alive; a lock of another host not refreshed for <see cref="RepositoryLock.StaleAfter"/> is stale.</param>
internal sealed record LockHolder(int Pid, string Host, DateTime Started, Guid Nonce = default, DateTime? Refreshed = null)
{
    public override string ToString() => $"pid {Pid} on {Host} since {Started:yyyy-MM-ddTHH:mm:ssZ}";

    /// <summary>This process, started now (second resolution).</summary>
    internal static LockHolder Current()
    {
        using var self = Process.GetCurrentProcess();
        var now = DateTime.UtcNow;
        return new LockHolder(self.Id, Environment.MachineName, new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc));
    }

    /// <summary>A process of this host that no longer runs: what it held is free. (Another host's process cannot be checked.)</summary>
    internal bool IsGone => Host == Environment.MachineName && !IsRunning(Pid);

    /// <summary>
    /// Whether the lock no longer protects a writer: its process is gone (this host), or (another host, whose
    /// processes we cannot see) it was not refreshed for <see cref="RepositoryLock.StaleAfter"/>.
    /// </summary>
    internal bool IsStale(DateTime utcNow) =>
        IsGone || (Host != Environment.MachineName && utcNow - (Refreshed ?? Started) > RepositoryLock.StaleAfter);

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }
}

/// <summary>
/// The single-writer lock of a repository, an object holding the writer's pid, host, start and last refresh.
/// Where the store creates objects atomically (a directory; S3 stores that honour If-None-Match) it is the one
/// object <c>lock</c>, created only if absent, so two writers can never both succeed. Elsewhere it is restic's
/// protocol: each writer puts its own <c>locks/&lt;id&gt;.json</c>, then lists <c>locks/</c> and backs off when
/// another live lock is there. A lock left by a process that is gone (same host, pid not running) or, from
/// another host, not refreshed for <see cref="StaleAfter"/> is stale and taken over, so a killed writer does
/// not block the repository forever; a holder refreshes its lock every few minutes. Disposing releases it.
/// </summary>
internal sealed class RepositoryLock : IAsyncDisposable
{
    /// <summary>A lock of another host not refreshed for this long belongs to a writer that died.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(30);

    private const string ListedPrefix = "locks/";

    /// <summary>The file a local repository's writers hold, one at a time, while they take a stale lock over.</summary>
    internal const string TakeoverKey = "lock.takeover";

    private static readonly TimeSpan RefreshEvery = TimeSpan.FromMinutes(5);

    /// <summary>An unreadable lock file this old is from a writer killed between creating and filling it.</summary>
    private static readonly TimeSpan UnreadableLockGrace = TimeSpan.FromSeconds(10);

    /// <summary>How long a writer that took over a stale lock waits before checking the lock is still its own.</summary>
    private static readonly TimeSpan TakeoverSettle = TimeSpan.FromMilliseconds(100);

    private readonly IObjectStore _store;
    private readonly string _key;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _refreshing;
    private byte[] _content;

    private RepositoryLock(IObjectStore store, string key, LockHolder holder, byte[] content)
    {
        _store = store;
        _key = key;
        Holder = holder;
        _content = content;
        _refreshing = RefreshAsync(_stop.Token);
    }

    public LockHolder Holder { get; }

    public static async Task<RepositoryLock> AcquireAsync(BackupRepository repository, CancellationToken cancellationToken = default)
    {
        var holder = LockHolder.Current() with { Nonce = Guid.NewGuid() };
        if (repository.LocalDirectory is { } directory)
            return AcquireFile(repository, directory, holder);
        return await repository.Store.HasAtomicCreateAsync(cancellationToken)
            ? await AcquireExclusiveAsync(repository, holder, cancellationToken)
            : await AcquireListedAsync(repository, holder, cancellationToken);
    }

    /// <summary>
    /// The lock file of a local repository, created exclusively, all on this thread. Taking over a stale one
    /// (look at it, delete it, create ours) is done by one writer at a time, under the kernel's lock of
    /// <see cref="TakeoverKey"/>: otherwise a writer that looked at the stale lock could delete the new lock of
    /// another that took it over first, and both would hold the repository.
    /// </summary>
    private static RepositoryLock AcquireFile(BackupRepository repository, string directory, LockHolder holder)
    {
        var path = Path.Combine(directory, BackupRepository.LockKey);
        var content = RepositoryJson.Serialize(holder);
        var tookOver = false;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                // Shared, not FileShare.None: .NET would flock the new file exclusively, which fails (after
                // creating it, empty) while another writer reads it, and both would give up. Unbuffered: a write
                // that failed is not tried again when the file is closed.
                using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0))
                    Fill(file, path, content);

                // Two writers that both found the same stale lock could both take it over: the later one
                // deletes the earlier one's new lock. After a takeover, look again a moment later: only the
                // writer whose lock is still there goes on.
                if (tookOver)
                {
                    Thread.Sleep(TakeoverSettle);
                    var now = ReadFile(path);
                    if (!now.AsSpan().SequenceEqual(content))
                        throw Held(repository, BackupRepository.LockKey, TryParse(now));
                }

                return new RepositoryLock(repository.Store, BackupRepository.LockKey, holder, content);
            }
            catch (IOException) when (attempt < 10 || File.Exists(path))
            {
                // Gone again before we could look (another writer released or took it over): try again.
                if (!File.Exists(path))
                    continue;
                using var takeover = TakeOverAlone(Path.Combine(directory, TakeoverKey));
                var existing = ReadFile(path);
                if (existing.Length == 0 && !File.Exists(path))
                    continue;
                var existingHolder = TryParse(existing);
                var unreadableAndOld = existingHolder is null && DateTime.UtcNow - File.GetLastWriteTimeUtc(path) > UnreadableLockGrace;
                if (attempt >= 3 || !(unreadableAndOld || existingHolder?.IsStale(DateTime.UtcNow) == true))
                    throw Held(repository, BackupRepository.LockKey, existingHolder);
                File.Delete(path);
                tookOver = true;
            }
        }
    }

    /// <summary>
    /// Writes the holder into the lock file just created. One that cannot be filled (a full disk) is deleted, ours
    /// as it is, so that it does not pass for a lock another writer holds; the error is the disk's, and is thrown.
    /// </summary>
    private static void Fill(FileStream file, string path, byte[] content)
    {
        try
        {
            file.Write(content);
            file.Flush(flushToDisk: true);
        }
        catch (Exception e) when (OutputWriteException.IsWriteError(e))
        {
            File.Delete(path);
            throw OutputWriteException.For(path, e);
        }
    }

    /// <summary>
    /// The kernel's exclusive lock (flock, which .NET takes for <see cref="FileShare.None"/>) of the file that
    /// orders takeovers, waited for a moment; released, with the process, however it ends.
    /// </summary>
    private static FileStream TakeOverAlone(string path)
    {
        for (var wait = 0; ; wait++)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (wait < 500 && File.Exists(path))
            {
                Thread.Sleep(10); // another writer is taking the lock over: it is done within milliseconds
            }
        }
    }

    /// <summary>A lock file's bytes; empty when it is gone or cannot be read.</summary>
    private static byte[] ReadFile(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static async Task<RepositoryLock> AcquireExclusiveAsync(BackupRepository repository, LockHolder holder, CancellationToken cancellationToken)
    {
        var store = repository.Store;
        var content = RepositoryJson.Serialize(holder);
        for (var attempt = 0; ; attempt++)
        {
            if (await store.TryCreateAsync(BackupRepository.LockKey, content, cancellationToken))
            {
                // Writers that found the same stale lock each delete it and create their own, and one may
                // delete another's new lock: look again a moment later, and only the writer whose lock is
                // still there goes on. Also a writer that found no lock at all: the one it created may be
                // what a taker-over deleted.
                await Task.Delay(TakeoverSettle, CancellationToken.None); // not cancelled: a cancelled wait would leave the lock behind
                var now = await ReadAsync(store, BackupRepository.LockKey, CancellationToken.None);
                if (!now.AsSpan().SequenceEqual(content))
                    throw Held(repository, BackupRepository.LockKey, TryParse(now));
                return new RepositoryLock(store, BackupRepository.LockKey, holder, content);
            }

            var existing = await ReadAsync(store, BackupRepository.LockKey, cancellationToken);
            if (existing.Length == 0 && attempt < 10)
                continue; // gone again before we could look (another writer released or took it over): try again
            var existingHolder = TryParse(existing);
            if (attempt >= 3 || existingHolder is null || !existingHolder.IsStale(DateTime.UtcNow))
                throw Held(repository, BackupRepository.LockKey, existingHolder);
            // Delete only the stale lock we looked at, not one another writer put there since.
            if (!(await ReadAsync(store, BackupRepository.LockKey, cancellationToken)).AsSpan().SequenceEqual(existing))
                continue;
            await store.DeleteAsync(BackupRepository.LockKey, cancellationToken);
        }
    }

    /// <summary>restic's way, for stores whose conditional create cannot be trusted: put our own lock, then look for others.</summary>
    private static async Task<RepositoryLock> AcquireListedAsync(BackupRepository repository, LockHolder holder, CancellationToken cancellationToken)
    {
        var store = repository.Store;
        var key = $"{ListedPrefix}{holder.Nonce:N}.json";
        var content = RepositoryJson.Serialize(holder);
        using (var body = new MemoryStream(content))
            await store.WriteAsync(key, body, cancellationToken);
        try
        {
            foreach (var (other, _) in await store.ListAsync(ListedPrefix, cancellationToken))
            {
                if (other == key || !other.EndsWith(".json", StringComparison.Ordinal))
                    continue;
                var otherHolder = TryParse(await ReadAsync(store, other, cancellationToken));
                if (otherHolder is not null && otherHolder.IsStale(DateTime.UtcNow))
                    await store.DeleteAsync(other, cancellationToken); // a dead writer's: removed, as restic does
                else if (otherHolder is not null || await store.SizeAsync(other, cancellationToken) is not null)
                    throw Held(repository, other, otherHolder);
            }
        }
        catch
        {
            await store.DeleteAsync(key, CancellationToken.None);
            throw;
        }

        return new RepositoryLock(store, key, holder, content);
    }

    private static RepositoryException Held(BackupRepository repository, string key, LockHolder? holder) =>
        new(RepositoryError.LockHeld, holder is null
            ? $"repository {repository.Path} is locked ({repository.Store.Describe(key)} exists and cannot be read; remove it if no writer runs)"
            : $"repository {repository.Path} is locked by {holder}");

    private static LockHolder? TryParse(byte[] content)
    {
        try
        {
            return content.Length == 0 ? null : RepositoryJson.Deserialize<LockHolder>(content);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A lock object's bytes; empty when it is gone or cannot be read.</summary>
    private static async Task<byte[]> ReadAsync(IObjectStore store, string key, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = await store.OpenReadAsync(key, cancellationToken);
            if (stream is null)
                return [];
            // Read on this thread, not handed to the thread pool: between looking at a stale lock and deleting
            // it nothing else may run, or a busy machine stretches that gap beyond the takeover check.
            using var bytes = new MemoryStream();
            stream.CopyTo(bytes);
            return bytes.ToArray();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            return [];
        }
    }

    /// <summary>Tells other hosts every few minutes that this writer is alive, while it holds the lock.</summary>
    private async Task RefreshAsync(CancellationToken stop)
    {
        try
        {
            while (true)
            {
                await Task.Delay(RefreshEvery, stop);
                var current = await ReadAsync(_store, _key, stop);
                if (!current.AsSpan().SequenceEqual(_content))
                    return; // no longer ours: never overwrite another writer's lock
                var refreshed = RepositoryJson.Serialize(Holder with { Refreshed = DateTime.UtcNow });
                using var body = new MemoryStream(refreshed);
                await _store.WriteAsync(_key, body, stop);
                _content = refreshed;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // Stopped at release. A refresh that failed ends refreshing: other hosts see the lock go stale after StaleAfter.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
            return;
        await _stop.CancelAsync();
        await _refreshing;
        _stop.Dispose();
        try
        {
            // Only our own lock: never one another writer holds.
            if ((await ReadAsync(_store, _key, CancellationToken.None)).AsSpan().SequenceEqual(_content))
                await _store.DeleteAsync(_key, CancellationToken.None);
        }
        catch (IOException)
        {
            // Left behind it is stale (our pid will be gone, or it stops being refreshed) and the next writer takes it over.
        }
    }
}
