using System.Security.Cryptography;
using FsCheck;
using FsCheck.Xunit;
using SpanRecovery.Encryption;

namespace SpanRecovery.Tests.Encryption;

/// <summary>
/// The chunked AES-GCM object format: what is sealed opens to exactly the same bytes at every length around
/// the chunk boundaries, written and read in pieces of any size; and an object whose bytes were changed, cut
/// short, extended or reordered, opened at another path or with another key, never opens.
/// </summary>
public sealed class ChunkedAeadProperties
{
    private const int Chunk = ChunkedAead.ChunkBytes;
    private const string ObjectPath = "backups/20261124-101500F/0001.seg.zst";

    private static readonly byte[] MasterKey = RandomNumberGenerator.GetBytes(32);

    private static readonly int[] Boundaries = [0, 1, Chunk - 1, Chunk, Chunk + 1, 2 * Chunk - 1, 2 * Chunk, 2 * Chunk + 1];

    /// <summary>Half the time a length at a chunk boundary (empty, one byte, each side of one and two chunks), else a random one up to three chunks.</summary>
    private static int Length(NonNegativeInt pick) =>
        pick.Get % 2 == 0 ? Boundaries[pick.Get / 2 % Boundaries.Length] : pick.Get % (3 * Chunk + 8);

    [Property(MaxTest = 60)]
    public void Sealed_objects_open_to_the_same_bytes_at_every_chunk_boundary(NonNegativeInt pick, PositiveInt writeSize, PositiveInt readSize)
    {
        var length = Length(pick);
        var plaintext = Plaintext(length, seed: length);
        var stored = Seal(plaintext, ObjectPath, 1 + writeSize.Get % (Chunk + 3));
        Assert.Equal(plaintext, Open(stored, ObjectPath, MasterKey, 1 + readSize.Get % (Chunk + 3)));
        Assert.Equal(ChunkedAead.HeaderBytes + length + Math.Max(1, (length + Chunk - 1) / Chunk) * ChunkedAead.TagBytes, stored.Length);
    }

    [Property(MaxTest = 60)]
    public void A_changed_byte_anywhere_fails_authentication(NonNegativeInt pick, PositiveInt offset, byte mask)
    {
        var length = Length(pick);
        var stored = Seal(Plaintext(length, seed: 1), ObjectPath, 4096);
        stored[offset.Get % stored.Length] ^= mask == 0 ? (byte)1 : mask;
        Assert.Throws<ObjectAuthenticationException>(() => Open(stored, ObjectPath, MasterKey, 4096));
    }

    [Property(MaxTest = 60)]
    public void An_object_cut_short_anywhere_fails_authentication(NonNegativeInt pick, PositiveInt cut)
    {
        var length = Length(pick);
        var stored = Seal(Plaintext(length, seed: 2), ObjectPath, 4096);
        var truncated = stored[..(cut.Get % stored.Length)];
        var e = Assert.Throws<ObjectAuthenticationException>(() => Open(truncated, ObjectPath, MasterKey, 4096));
        Assert.Contains(ObjectPath, e.Message, StringComparison.Ordinal);
    }

    [Property(MaxTest = 60)]
    public void An_object_extended_by_any_bytes_fails_authentication(NonNegativeInt pick, NonEmptyArray<byte> extra)
    {
        var length = Length(pick);
        var stored = Seal(Plaintext(length, seed: 3), ObjectPath, 4096);
        Assert.Throws<ObjectAuthenticationException>(() => Open([.. stored, .. extra.Get], ObjectPath, MasterKey, 4096));
    }

    [Property(MaxTest = 30)]
    public void An_object_with_a_whole_chunk_of_another_appended_fails_authentication(NonNegativeInt pick)
    {
        var length = Length(pick);
        // The other object's chunks are valid AES-GCM under the same master key, but not under this object's key and nonces.
        var stored = Seal(Plaintext(length, seed: 4), ObjectPath, 4096);
        var other = Seal(Plaintext(2 * Chunk, seed: 5), ObjectPath, 4096);
        Assert.Throws<ObjectAuthenticationException>(() => Open([.. stored, .. other.AsSpan(ChunkedAead.HeaderBytes, ChunkedAead.StoredChunkBytes)], ObjectPath, MasterKey, 4096));
    }

    [Property(MaxTest = 20)]
    public void Swapped_chunks_fail_authentication(PositiveInt first, PositiveInt second)
    {
        const int fullChunks = 3; // and a shorter last one
        var stored = Seal(Plaintext(fullChunks * Chunk + 100, seed: 6), ObjectPath, 4096);
        var (a, b) = (first.Get % fullChunks, second.Get % fullChunks);
        if (a == b)
            b = (a + 1) % fullChunks;
        var swapped = stored.ToArray();
        stored.AsSpan(Offset(a), ChunkedAead.StoredChunkBytes).CopyTo(swapped.AsSpan(Offset(b)));
        stored.AsSpan(Offset(b), ChunkedAead.StoredChunkBytes).CopyTo(swapped.AsSpan(Offset(a)));
        Assert.Throws<ObjectAuthenticationException>(() => Open(swapped, ObjectPath, MasterKey, 4096));

        static int Offset(int chunk) => ChunkedAead.HeaderBytes + chunk * ChunkedAead.StoredChunkBytes;
    }

    [Property(MaxTest = 30)]
    public void An_object_opened_at_another_path_or_with_another_key_fails_authentication(NonNegativeInt pick, NonEmptyString otherPath)
    {
        var length = Length(pick);
        var stored = Seal(Plaintext(length, seed: 7), ObjectPath, 4096);
        if (otherPath.Get != ObjectPath)
            Assert.Throws<ObjectAuthenticationException>(() => Open(stored, otherPath.Get, MasterKey, 4096));
        Assert.Throws<ObjectAuthenticationException>(() => Open(stored, ObjectPath, RandomNumberGenerator.GetBytes(32), 4096));
    }

    [Fact]
    public void An_object_whose_writer_stopped_before_the_last_chunk_does_not_open()
    {
        foreach (var length in new[] { 0, 1, Chunk, Chunk + 1, 3 * Chunk })
        {
            using var stored = new MemoryStream();
            using (var sealing = new SealingStream(stored, MasterKey, ObjectPath, leaveOpen: true))
                sealing.Write(Plaintext(length, seed: 8)); // disposed without FlushFinalChunk: a writer that failed
            Assert.Throws<ObjectAuthenticationException>(() => Open(stored.ToArray(), ObjectPath, MasterKey, 4096));
        }
    }

    [Fact]
    public void Two_objects_of_the_same_bytes_share_no_ciphertext()
    {
        var plaintext = Plaintext(3 * Chunk, seed: 9);
        var first = Seal(plaintext, ObjectPath, Chunk);
        var second = Seal(plaintext, ObjectPath, Chunk);
        Assert.NotEqual(first.AsSpan(8, ChunkedAead.HeaderBytes - 8).ToArray(), second.AsSpan(8, ChunkedAead.HeaderBytes - 8).ToArray());
        Assert.NotEqual(first.AsSpan(ChunkedAead.HeaderBytes, 64).ToArray(), second.AsSpan(ChunkedAead.HeaderBytes, 64).ToArray());
    }

    private static byte[] Plaintext(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static byte[] Seal(byte[] plaintext, string path, int writeSize)
    {
        using var stored = new MemoryStream();
        using (var sealing = new SealingStream(stored, MasterKey, path, leaveOpen: true))
        {
            for (var offset = 0; offset < plaintext.Length; offset += writeSize)
                sealing.Write(plaintext.AsSpan(offset, Math.Min(writeSize, plaintext.Length - offset)));
            sealing.FlushFinalChunk();
        }

        return stored.ToArray();
    }

    private static byte[] Open(byte[] stored, string path, byte[] key, int readSize)
    {
        using var opening = new OpeningStream(new MemoryStream(stored), key, path);
        using var plaintext = new MemoryStream();
        var buffer = new byte[readSize];
        int read;
        while ((read = opening.Read(buffer)) > 0)
            plaintext.Write(buffer, 0, read);
        return plaintext.ToArray();
    }
}
