namespace SpanRecovery.Encryption;

/// <summary>
/// The <c>encryption</c> section of an encrypted repository's <c>repo.json</c>: the cipher of its objects and
/// the key slots, each of which opens the one master key with its own password (docs/repository.md).
/// </summary>
/// <param name="Cipher">The object format: <c>aes-256-gcm-chunked</c>.</param>
/// <param name="KeyId">Names the master key without revealing it (an HMAC of a constant under it): repositories with the same id share their key, so objects copy between them as stored.</param>
public sealed record EncryptionConfig(string Cipher, string KeyId, IReadOnlyList<KeySlot> Keys)
{
    internal const string ChunkedAesGcm = "aes-256-gcm-chunked";
}

/// <summary>
/// One password's copy of the master key: the key derived from the password with Argon2id at these costs and
/// this salt decrypts <see cref="WrappedKey"/> (AES-256-GCM) into the master key.
/// </summary>
/// <param name="Id">A short random name, as <c>repo key list</c> shows it and <c>repo key remove</c> takes it.</param>
/// <param name="Kdf">The key derivation: <c>argon2id</c>.</param>
/// <param name="MemoryKiB">Argon2id memory cost in KiB.</param>
/// <param name="Iterations">Argon2id passes over the memory.</param>
/// <param name="Parallelism">Argon2id lanes.</param>
/// <param name="Salt">The Argon2id salt, base64.</param>
/// <param name="WrappedKey">Nonce, encrypted master key and tag, base64.</param>
public sealed record KeySlot(string Id, DateTime Created, string Kdf, int MemoryKiB, int Iterations, int Parallelism, string Salt, string WrappedKey);

/// <summary>What <c>repo key list --json</c> shows of a key slot: everything but its salt and wrapped key.</summary>
internal sealed record KeySlotSummary(string Id, DateTime Created, string Kdf, int MemoryKiB, int Iterations, int Parallelism)
{
    public static KeySlotSummary Of(KeySlot slot) => new(slot.Id, slot.Created, slot.Kdf, slot.MemoryKiB, slot.Iterations, slot.Parallelism);
}
