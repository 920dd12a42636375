using System.Text.Json;

namespace SpanRecovery.Repository;

/// <summary>A restore in progress and the backups it reads.</summary>
internal sealed record RepositoryReaderEntry(LockHolder Reader, IReadOnlyList<string> Backups);

/// <summary>
/// Restores in progress, so that <c>backups expire</c> leaves the backups they read alone: a restore
/// registers <c>REPO/readers/&lt;pid&gt;-&lt;id&gt;.json</c> naming its backups for as long as it runs, and
/// needs no lock (backups may run meanwhile: they only add). An entry of a process that is gone (same host,
/// pid not running) protects nothing and is removed by the next expire.
/// </summary>
internal sealed class RepositoryReaders : IDisposable
{
    private readonly string? _path;

    private RepositoryReaders(string? path) => _path = path;

    public static string Directory(BackupRepository repository) => Path.Combine(repository.Path, "readers");

    /// <summary>
    /// Registers this process as reading <paramref name="backups"/> until disposed. A repository this process
    /// cannot write to (a read-only copy) cannot be expired by it either, so there nothing is registered.
    /// </summary>
    public static RepositoryReaders Register(BackupRepository repository, IReadOnlyList<string> backups)
    {
        var entry = new RepositoryReaderEntry(LockHolder.Current(), backups);
        var path = Path.Combine(Directory(repository), $"{entry.Reader.Pid}-{Guid.NewGuid():N}.json");
        try
        {
            System.IO.Directory.CreateDirectory(Directory(repository));
            RepositoryJson.WriteAtomically(path, RepositoryJson.Serialize(entry));
            return new RepositoryReaders(path);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            return new RepositoryReaders(null);
        }
    }

    /// <summary>The live readers and their backups; entries of processes that are gone are removed (call holding the writer lock).</summary>
    public static IReadOnlyList<RepositoryReaderEntry> Live(BackupRepository repository)
    {
        var directory = Directory(repository);
        if (!System.IO.Directory.Exists(directory))
            return [];
        var live = new List<RepositoryReaderEntry>();
        foreach (var file in System.IO.Directory.EnumerateFiles(directory, "*.json"))
        {
            RepositoryReaderEntry? entry;
            try
            {
                entry = RepositoryJson.Deserialize<RepositoryReaderEntry>(File.ReadAllBytes(file));
            }
            catch (Exception e) when (e is IOException or JsonException)
            {
                continue; // being written (WriteAtomically makes that rare) or removed meanwhile
            }

            if (entry.Reader is not null && entry.Backups is not null && !entry.Reader.IsGone)
                live.Add(entry);
            else
                File.Delete(file);
        }

        return live;
    }

    public void Dispose()
    {
        if (_path is null)
            return;
        try
        {
            File.Delete(_path);
        }
        catch (IOException)
        {
            // Left behind it protects nothing once this process is gone, and the next expire removes it.
        }
    }
}
