using System.Diagnostics;
using System.Text.Json;

namespace SpanRecovery.Repository;

/// <summary>Who holds <c>REPO/lock</c>: enough to tell a live writer from a dead one and to name it to the user.</summary>
public sealed record LockHolder(int Pid, string Host, DateTime Started)
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
public sealed class RepositoryLock : IDisposable
{
    /// <summary>An unreadable lock this old is from a writer killed between creating and filling it.</summary>
    private static readonly TimeSpan UnreadableLockGrace = TimeSpan.FromSeconds(10);

    private readonly string _path;
    private bool _released;

    private RepositoryLock(string path, LockHolder holder)
    {
        _path = path;
        Holder = holder;
    }

    public LockHolder Holder { get; }

    public static RepositoryLock Acquire(BackupRepository repository)
    {
        var path = repository.LockPath;
        var holder = LockHolder.Current();
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
                file.Write(RepositoryJson.Serialize(holder));
                file.Flush(flushToDisk: true);
                return new RepositoryLock(path, holder);
            }
            catch (IOException) when (File.Exists(path) && attempt < 3)
            {
                var existing = TryRead(path);
                if (!IsStale(path, existing))
                {
                    throw new RepositoryException(RepositoryError.LockHeld, existing is null
                        ? $"repository {repository.Path} is locked ({path} exists)"
                        : $"repository {repository.Path} is locked by {existing}");
                }

                File.Delete(path);
            }
        }
    }

    /// <summary>The holder recorded in a lock file, or null when the file is gone or unreadable.</summary>
    public static LockHolder? TryRead(string path)
    {
        try
        {
            return RepositoryJson.Deserialize<LockHolder>(File.ReadAllBytes(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
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
            File.Delete(_path);
        }
        catch (IOException)
        {
            // Left behind it is stale (our pid will be gone) and the next writer takes it over.
        }
    }
}
