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
    private const string Prefix = "readers/";

    private readonly BackupRepository? _repository;
    private readonly string? _key;

    private RepositoryReaders(BackupRepository? repository, string? key) => (_repository, _key) = (repository, key);

    public static string Directory(BackupRepository repository) => repository.Store.Describe(Prefix.TrimEnd('/'));

    /// <summary>
    /// Registers this process as reading <paramref name="backups"/> until disposed. A repository this process
    /// cannot write to (a read-only copy) cannot be expired by it either, so there nothing is registered.
    /// </summary>
    public static async Task<RepositoryReaders> RegisterAsync(BackupRepository repository, IReadOnlyList<string> backups, CancellationToken cancellationToken)
    {
        var entry = new RepositoryReaderEntry(LockHolder.Current(), backups);
        var key = $"{Prefix}{entry.Reader.Pid}-{Guid.NewGuid():N}.json";
        try
        {
            using var content = new MemoryStream(RepositoryJson.Serialize(entry));
            await repository.Store.WriteAsync(key, content, cancellationToken);
            return new RepositoryReaders(repository, key);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            return new RepositoryReaders(null, null);
        }
    }

    /// <summary>The live readers and their backups; entries of processes that are gone are removed (call holding the writer lock).</summary>
    public static async Task<IReadOnlyList<RepositoryReaderEntry>> LiveAsync(BackupRepository repository, CancellationToken cancellationToken)
    {
        var live = new List<RepositoryReaderEntry>();
        foreach (var (key, _) in await repository.Store.ListAsync(Prefix, cancellationToken))
        {
            if (!key.EndsWith(".json", StringComparison.Ordinal))
                continue;
            RepositoryReaderEntry? entry;
            try
            {
                await using var stream = await repository.Store.OpenReadAsync(key, cancellationToken);
                if (stream is null)
                    continue; // ended meanwhile
                entry = await RepositoryJson.DeserializeAsync<RepositoryReaderEntry>(stream, cancellationToken);
            }
            catch (Exception e) when (e is IOException or JsonException or InvalidDataException)
            {
                continue; // being written or removed meanwhile
            }

            if (entry?.Reader is not null && entry.Backups is not null && !entry.Reader.IsGone)
                live.Add(entry);
            else
                await repository.Store.DeleteAsync(key, cancellationToken);
        }

        return live;
    }

    public void Dispose()
    {
        if (_repository is null)
            return;
        try
        {
            _repository.Store.DeleteAsync(_key!).GetAwaiter().GetResult();
        }
        catch (IOException)
        {
            // Left behind it protects nothing once this process is gone, and the next expire removes it.
        }
    }
}
