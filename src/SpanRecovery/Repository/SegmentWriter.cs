using System.Buffers;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;
using ZstdSharp;

namespace SpanRecovery.Repository;

/// <summary>
/// Copies a byte range of a source file into a zstd segment, streaming through a pooled buffer: the source
/// bytes also feed the file's prefix hash, and the stored bytes are hashed on their way to disk so the
/// checksum is of exactly what was written.
/// </summary>
internal static class SegmentWriter
{
    public const int CompressionLevel = 3;
    private const int BufferSize = 1024 * 1024;

    /// <summary>Hashes [<paramref name="start"/>, <paramref name="end"/>) of a file into <paramref name="hash"/>.</summary>
    public static void HashRange(SafeFileHandle source, long start, long end, IncrementalHash hash, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            for (var position = start; position < end;)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var read = ReadSome(source, buffer, position, end);
                hash.AppendData(buffer, 0, read);
                position += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Writes the segment and returns its stored size and the sha256 (hex) of its bytes.</summary>
    public static (long StoredBytes, string Sha256) Write(
        SafeFileHandle source, long start, long end, string segmentPath, IncrementalHash prefixHash, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            using var output = new FileStream(segmentPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
            using var storedHash = SHA256.Create();
            using (var hashing = new CryptoStream(output, storedHash, CryptoStreamMode.Write, leaveOpen: true))
            {
                using (var zstd = new CompressionStream(hashing, CompressionLevel, leaveOpen: true))
                {
                    for (var position = start; position < end;)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        var read = ReadSome(source, buffer, position, end);
                        prefixHash.AppendData(buffer, 0, read);
                        zstd.Write(buffer, 0, read);
                        position += read;
                    }
                }

                hashing.FlushFinalBlock();
            }

            output.Flush(flushToDisk: true);
            return (output.Length, Convert.ToHexStringLower(storedHash.Hash!));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static int ReadSome(SafeFileHandle source, byte[] buffer, long position, long end)
    {
        var read = RandomAccess.Read(source, buffer.AsSpan(0, (int)Math.Min(buffer.Length, end - position)), position);
        if (read == 0)
            throw new IOException("the source file shrank while it was being backed up");
        return read;
    }
}
