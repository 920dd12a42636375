using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace SpanRecovery.Encryption;

/// <summary>
/// The format of an encrypted repository object (docs/repository.md "Encryption"): a 32-byte header
/// (<see cref="Magic"/>, a random 16-byte key salt, a random 8-byte nonce prefix), then AES-256-GCM chunks of
/// <see cref="ChunkBytes"/> plaintext bytes (the last one shorter, possibly empty), each followed by its 16-byte tag.
/// </summary>
/// <remarks>
/// Each object gets its own key, HKDF-SHA256 of the master key and the object's salt, so the GCM limits on
/// messages per key hold per object, not per repository. A chunk's nonce is the object's prefix, then its
/// index (big-endian, 31 bits) with the top bit set on the last chunk only: chunks cannot be reordered,
/// dropped from the end or appended to without the tag failing. Every chunk is authenticated with the
/// object's path in the repository as associated data, so an object moved to another path does not open.
/// </remarks>
internal static class ChunkedAead
{
    public const int ChunkBytes = 64 * 1024;
    public const int TagBytes = 16;
    public const int SaltBytes = 16;
    public const int NoncePrefixBytes = 8;
    public const int HeaderBytes = 8 + SaltBytes + NoncePrefixBytes;
    public const int StoredChunkBytes = ChunkBytes + TagBytes;

    /// <summary>The first bytes of every encrypted object: what it is and the format version.</summary>
    public static ReadOnlySpan<byte> Magic => "SRAEAD\0\u0001"u8;

    private const uint LastChunkFlag = 0x8000_0000;
    private static readonly byte[] KeyInfo = "spanrecovery object key"u8.ToArray();

    /// <summary>The most chunks one object may have (128 TiB of plaintext): the index must not reach the last-chunk flag.</summary>
    public const uint MaxChunks = LastChunkFlag;

    /// <summary>A fresh header: the magic and random salt and nonce prefix.</summary>
    public static byte[] NewHeader()
    {
        var header = new byte[HeaderBytes];
        Magic.CopyTo(header);
        RandomNumberGenerator.Fill(header.AsSpan(Magic.Length));
        return header;
    }

    /// <summary>The object's own AES-GCM instance, keyed by the master key and the header's salt.</summary>
    public static AesGcm ObjectCipher(ReadOnlySpan<byte> masterKey, ReadOnlySpan<byte> header)
    {
        Span<byte> objectKey = stackalloc byte[32];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, masterKey, objectKey, header.Slice(Magic.Length, SaltBytes), KeyInfo);
        try
        {
            return new AesGcm(objectKey, TagBytes);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(objectKey);
        }
    }

    public static void Nonce(ReadOnlySpan<byte> header, uint index, bool last, Span<byte> nonce)
    {
        header.Slice(Magic.Length + SaltBytes, NoncePrefixBytes).CopyTo(nonce);
        BinaryPrimitives.WriteUInt32BigEndian(nonce[NoncePrefixBytes..], index | (last ? LastChunkFlag : 0));
    }

    /// <summary>What every chunk is authenticated with: the object's path in the repository, '/'-separated.</summary>
    public static byte[] AssociatedData(string objectPath) => Encoding.UTF8.GetBytes(objectPath);
}
