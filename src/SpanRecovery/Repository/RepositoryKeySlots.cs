using SpanRecovery.Encryption;

namespace SpanRecovery.Repository;

/// <summary>
/// <c>repo key add|remove</c>: passwords of an encrypted repository change by rewriting its key slots in
/// <c>repo.json</c> (under the writer lock, whole); the master key and every object stay as they are.
/// </summary>
internal static class RepositoryKeySlots
{
    /// <summary>Adds a slot that opens the master key of the unlocked <paramref name="repository"/> with <paramref name="newPassword"/>.</summary>
    public static KeySlot Add(BackupRepository repository, string newPassword, PasswordKdf kdf)
    {
        var key = UnlockedKey(repository);
        var slot = key.NewSlot(newPassword, kdf, BackupRepository.Now());
        Rewrite(repository, keys => [.. keys, slot]);
        return slot;
    }

    /// <summary>Removes the slot <paramref name="id"/>; the last one cannot go, since nothing would open the repository then.</summary>
    public static void Remove(BackupRepository repository, string id)
    {
        UnlockedKey(repository);
        Rewrite(repository, keys =>
        {
            if (keys.All(k => k.Id != id))
                throw new RepositoryException(RepositoryError.InvalidRepository, $"repository {repository.Path} has no key '{id}' (see 'repo key list')");
            if (keys.Count == 1)
                throw new RepositoryException(RepositoryError.InvalidRepository, $"key '{id}' is the last key of repository {repository.Path}: add another before removing it");
            return [.. keys.Where(k => k.Id != id)];
        });
    }

    private static RepositoryKey UnlockedKey(BackupRepository repository) =>
        repository.RequireKey() ?? throw new RepositoryException(RepositoryError.InvalidRepository, $"repository {repository.Path} is not encrypted: it has no keys");

    /// <summary>Re-reads <c>repo.json</c> under the lock, so that two key changes at once do not lose one.</summary>
    private static void Rewrite(BackupRepository repository, Func<IReadOnlyList<KeySlot>, IReadOnlyList<KeySlot>> change) =>
        RewriteAsync(repository, change).GetAwaiter().GetResult();

    private static async Task RewriteAsync(BackupRepository repository, Func<IReadOnlyList<KeySlot>, IReadOnlyList<KeySlot>> change)
    {
        await using var writerLock = await RepositoryLock.AcquireAsync(repository);
        var config = (await BackupRepository.OpenAsync(repository.Path, null, CancellationToken.None)).Config;
        var encryption = config.Encryption!;
        var changed = config with { Encryption = encryption with { Keys = change(encryption.Keys) } };
        await BackupRepository.WriteConfigAsync(repository.Store, changed, CancellationToken.None);
    }
}
