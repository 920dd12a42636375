using System.Diagnostics;
using System.Text.Json;

namespace SpanRecovery.Repository;

/// <summary>Who holds <c>REPO/lock</c>: enough to tell a live writer from a dead one and to name it to the user.</summary>
/// <param name="Nonce">Tells two holders with the same pid apart (a pid reused, two locks of one process).</param>
internal sealed record LockHolder(int Pid, string Host, DateTime Started, Guid Nonce = default)
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
/// The single-writer lock of a repository: a file created exclusively (so two writers can never both
/// succeed) holding the writer's pid, host and start time. A lock left by a process that is gone — same
/// host, pid not running — is stale and taken over, so a killed writer does not block the repository forever.
/// Disposing releases it.
/// </summary>
internal sealed class RepositoryLock : IDisposable
{
    /// <summary>An unreadable lock this old is from a writer killed between creating and filling it.</summary>
    private static readonly TimeSpan UnreadableLockGrace = TimeSpan.FromSeconds(10);

    /// <summary>How long a writer that took over a stale lock waits before checking the lock is still its own.</summary>
    private static readonly TimeSpan TakeoverSettle = TimeSpan.FromMilliseconds(100);

    private readonly string _path;
    private bool _released;

    private readonly byte[] _content;

    private RepositoryLock(string path, LockHolder holder, byte[] content)
    {
        _path = path;
        Holder = holder;
        _content = content;
    }

    public LockHolder Holder { get; }

    public static RepositoryLock Acquire(BackupRepository repository)
    {
        var path = repository.LockPath;
        var holder = LockHolder.Current();
        var content = RepositoryJson.Serialize(holder with { Nonce = Guid.NewGuid() });
        var tookOver = false;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                {
                    file.Write(content);
                    file.Flush(flushToDisk: true);
                }

                // Two writers that both found the same stale lock could both take it over: the later one
                // deletes the earlier one's new lock. After a takeover, look again a moment later: only the
                // writer whose lock is still there goes on.
                if (tookOver)
                {
                    Thread.Sleep(TakeoverSettle);
                    if (!ReadBytes(path).AsSpan().SequenceEqual(content))
                        throw Held(repository, TryRead(path));
                }

                return new RepositoryLock(path, holder, content);
            }
            catch (IOException) when (attempt < 10 || File.Exists(path))
            {
                // Gone again before we could look (another writer released or took it over): try again.
                if (!File.Exists(path))
                    continue;
                var existing = ReadBytes(path);
                var existingHolder = TryParse(existing);
                if (attempt >= 3 || !IsStale(path, existingHolder))
                    throw Held(repository, existingHolder);
                // Delete only the stale lock we looked at, not one another writer put there since.
                if (!ReadBytes(path).AsSpan().SequenceEqual(existing))
                    continue;
                File.Delete(path);
                tookOver = true;
            }
        }
    }

    private static RepositoryException Held(BackupRepository repository, LockHolder? holder) =>
        new(RepositoryError.LockHeld, holder is null
            ? $"repository {repository.Path} is locked ({repository.LockPath} exists)"
            : $"repository {repository.Path} is locked by {holder}");

    /// <summary>The holder recorded in a lock file, or null when the file is gone or unreadable.</summary>
    public static LockHolder? TryRead(string path) => TryParse(ReadBytes(path));

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

    /// <summary>A lock file's bytes; empty when it is gone or cannot be read.</summary>
    private static byte[] ReadBytes(string path)
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

    private static bool IsStale(string path, LockHolder? holder)
    {
        if (holder is null)
            return File.Exists(path) && DateTime.UtcNow - File.GetLastWriteTimeUtc(path) > UnreadableLockGrace;
        return holder.IsGone;
    }

    public void Dispose()
    {
        if (_released)
            return;
        _released = true;
        try
        {
            // Only our own lock: never one another writer holds.
            if (ReadBytes(_path).AsSpan().SequenceEqual(_content))
                File.Delete(_path);
        }
        catch (IOException)
        {
            // Left behind it is stale (our pid will be gone) and the next writer takes it over.
        }
    }
}
