using System.Security.Cryptography;
using System.Text;

namespace SpanRecovery.Encryption;

/// <summary>
/// The master key of an encrypted repository, unwrapped: it seals and opens the repository's objects. Key
/// slots wrap it once per password, so passwords change without re-encrypting a byte of data.
/// </summary>
internal sealed class RepositoryKey
{
    private const int KeyBytes = 32;
    private const int NonceBytes = 12;
    private const int WrappedBytes = NonceBytes + KeyBytes + ChunkedAead.TagBytes;

    private readonly byte[] _master;

    private RepositoryKey(byte[] master) => _master = master;

    public static RepositoryKey New() => new(RandomNumberGenerator.GetBytes(KeyBytes));

    /// <summary>A new key slot: the master key wrapped by the key <paramref name="kdf"/> derives from <paramref name="password"/>.</summary>
    public KeySlot NewSlot(string password, PasswordKdf kdf, DateTime created)
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        var salt = RandomNumberGenerator.GetBytes(PasswordKdf.SaltBytes);
        var wrapped = new byte[WrappedBytes];
        var nonce = wrapped.AsSpan(0, NonceBytes);
        RandomNumberGenerator.Fill(nonce);
        var kek = kdf.DeriveKey(password, salt);
        using (var aes = new AesGcm(kek, ChunkedAead.TagBytes))
            aes.Encrypt(nonce, _master, wrapped.AsSpan(NonceBytes, KeyBytes), wrapped.AsSpan(NonceBytes + KeyBytes), SlotData(id));
        CryptographicOperations.ZeroMemory(kek);
        return new KeySlot(id, created, PasswordKdf.Argon2id, kdf.MemoryKiB, kdf.Iterations, kdf.Parallelism,
            Convert.ToBase64String(salt), Convert.ToBase64String(wrapped));
    }

    /// <summary>
    /// The master key, from the first slot <paramref name="password"/> opens; every slot it does not open costs one
    /// key derivation. Null when it opens none: a wrong password (or slots someone changed).
    /// </summary>
    public static RepositoryKey? TryUnlock(IEnumerable<KeySlot> slots, string password)
    {
        foreach (var slot in slots)
        {
            var salt = Convert.FromBase64String(slot.Salt);
            var wrapped = Convert.FromBase64String(slot.WrappedKey);
            var kek = PasswordKdf.Of(slot).DeriveKey(password, salt);
            var master = new byte[KeyBytes];
            try
            {
                using var aes = new AesGcm(kek, ChunkedAead.TagBytes);
                aes.Decrypt(wrapped.AsSpan(0, NonceBytes), wrapped.AsSpan(NonceBytes, KeyBytes), wrapped.AsSpan(NonceBytes + KeyBytes), master, SlotData(slot.Id));
                return new RepositoryKey(master);
            }
            catch (AuthenticationTagMismatchException)
            {
                // not this slot's password
            }
            finally
            {
                CryptographicOperations.ZeroMemory(kek);
            }
        }

        return null;
    }

    /// <summary>What <c>repo.json</c> must hold for a slot to be tried at all (a hostile file is refused before any derivation).</summary>
    public static string? Problem(KeySlot slot)
    {
        if (slot.Id is null || slot.Kdf != PasswordKdf.Argon2id)
            return $"key slot {slot.Id}: key derivation '{slot.Kdf}' is not {PasswordKdf.Argon2id}";
        if (PasswordKdf.Of(slot).Problem is { } cost)
            return $"key slot {slot.Id}: {cost}";
        return IsBase64(slot.Salt, PasswordKdf.SaltBytes) && IsBase64(slot.WrappedKey, WrappedBytes) ? null
            : $"key slot {slot.Id}: the salt or the wrapped key is not base64 of {PasswordKdf.SaltBytes} and {WrappedBytes} bytes";
    }

    private static bool IsBase64(string? text, int bytes)
    {
        var buffer = new byte[bytes + 3];
        return text is not null && Convert.TryFromBase64String(text, buffer, out var written) && written == bytes;
    }

    /// <summary>The key's public name (<see cref="EncryptionConfig.KeyId"/>).</summary>
    public string Id => Convert.ToHexStringLower(HMACSHA256.HashData(_master, "spanrecovery key id"u8)[..16]);

    /// <summary>A stream that encrypts into <paramref name="output"/> the object stored at <paramref name="objectPath"/>.</summary>
    public SealingStream Seal(Stream output, string objectPath, bool leaveOpen) => new(output, _master, objectPath, leaveOpen);

    /// <summary>A stream that decrypts the object stored at <paramref name="objectPath"/> as it is read from <paramref name="input"/>.</summary>
    public OpeningStream Open(Stream input, string objectPath, bool leaveOpen) => new(input, _master, objectPath, leaveOpen);

    /// <summary>A small object (a manifest) sealed whole.</summary>
    public byte[] Seal(ReadOnlySpan<byte> plaintext, string objectPath)
    {
        using var stored = new MemoryStream();
        using (var sealing = Seal(stored, objectPath, leaveOpen: true))
        {
            sealing.Write(plaintext);
            sealing.FlushFinalChunk();
        }

        return stored.ToArray();
    }

    /// <summary>A small object opened whole; one that does not authenticate is an <see cref="ObjectAuthenticationException"/>.</summary>
    public byte[] Open(byte[] stored, string objectPath)
    {
        using var opening = Open(new MemoryStream(stored), objectPath, leaveOpen: false);
        using var plaintext = new MemoryStream();
        opening.CopyTo(plaintext);
        return plaintext.ToArray();
    }

    private static byte[] SlotData(string id) => Encoding.UTF8.GetBytes($"spanrecovery master key {id}");
}
