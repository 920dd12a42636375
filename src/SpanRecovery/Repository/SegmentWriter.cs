using System.Buffers;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;
using SpanRecovery.Encryption;
using SpanRecovery.Otlp;
using SpanRecovery.Otlp.Zstd;

namespace SpanRecovery.Repository;

/// <summary>
/// Copies a byte range of a source file into a zstd segment of the repository, streaming through a pooled
/// buffer: the source bytes also feed the file's prefix hash, and the stored bytes are hashed on their way to
/// the store so the checksum is of exactly what was written. <see cref="WriteAndReadAsync"/> reads the range once and hands
/// the same chunks to the trace reader on another core, so capture and validation run as one pass.
/// </summary>
internal static class SegmentWriter
{
    public const int CompressionLevel = 3;
    private const int BufferSize = 1024 * 1024;

    /// <summary>
    /// zstd compresses in two background workers (still one frame): the task that reads and hashes the
    /// source only feeds them, so reading, compressing and validating overlap on the cores there are.
    /// </summary>
    private const int CompressionWorkers = 2;

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

    /// <summary>
    /// Writes the segment and returns its stored size, the sha256 (hex) of its bytes and what the reader
    /// found. In the same pass it feeds every chunk read to
    /// <see cref="TraceFileReader"/> (with <paramref name="sink"/>) through a pipe read by another task: the
    /// reader validates exactly the bytes that are compressed, while this task compresses the next chunk.
    /// In an encrypted repository the compressed bytes are encrypted on their way to the store, and the size
    /// and sha256 are of the ciphertext: what is stored.
    /// </summary>
    public static async Task<(long StoredBytes, string Sha256, InputDescription Description)> WriteAndReadAsync<TSink>(
        SafeFileHandle source, long start, long end, BackupRepository repository, string backupName, string segmentName, IncrementalHash prefixHash,
        TSink sink, ReaderOptions readerOptions, CancellationToken cancellationToken)
        where TSink : ISpanSink
    {
        var reader = BackgroundReader.Start(sink, readerOptions, cancellationToken);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            long storedBytes;
            string sha256;
            await using (var output = await repository.CreateSegmentAsync(backupName, segmentName, cancellationToken))
            {
                using var storedHash = SHA256.Create();
                await using (var hashing = new CryptoStream(output, storedHash, CryptoStreamMode.Write, leaveOpen: true))
                await using (var sealing = repository.Key?.Seal(hashing, BackupRepository.SegmentKey(backupName, segmentName), leaveOpen: true))
                {
                    await using (var zstd = ZstdFrames.Compress((Stream?)sealing ?? hashing, CompressionLevel, CompressionWorkers, leaveOpen: true))
                    {
                        for (var position = start; position < end;)
                        {
                            cancellationToken.ThrowIfCancellationRequested();
                            var read = ReadSome(source, buffer, position, end);
                            var chunk = buffer.AsMemory(0, read);
                            // Hand the chunk to the reader first, so it validates while this task compresses.
                            await reader.WriteAsync(chunk, cancellationToken);
                            prefixHash.AppendData(chunk.Span);
                            await zstd.WriteAsync(chunk, cancellationToken);
                            position += read;
                        }
                    }

                    sealing?.FlushFinalChunk();
                    await hashing.FlushFinalBlockAsync(cancellationToken);
                }

                await output.CommitAsync(cancellationToken);
                (storedBytes, sha256) = (output.Length, Convert.ToHexStringLower(storedHash.Hash!));
            }

            return (storedBytes, sha256, await reader.CompleteAsync());
        }
        catch (Exception e)
        {
            await reader.FailAsync(e);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static int ReadSome(SafeFileHandle source, byte[] buffer, long position, long end)
    {
        int read;
        try
        {
            read = RandomAccess.Read(source, buffer.AsSpan(0, (int)Math.Min(buffer.Length, end - position)), position);
        }
        catch (IOException e)
        {
            throw new SourceChangedException($"a read failed at byte {position}: {e.Message}", e);
        }

        return read > 0 ? read : throw new SourceChangedException($"it shrank below {end} bytes while it was being backed up");
    }
}

/// <summary>A source file that could not be read to the end the backup had measured: it shrank, or a read failed.</summary>
internal sealed class SourceChangedException(string message, Exception? inner = null) : IOException(message, inner);
