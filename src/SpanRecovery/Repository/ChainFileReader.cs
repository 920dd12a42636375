using System.Buffers;
using System.Security.Cryptography;
using SpanRecovery.Otlp;

namespace SpanRecovery.Repository;

/// <summary>
/// Reads a chain file whole, as a restore of it does: the bytes its segments decompress to, hashed and parsed
/// into spans. Restore writes the same bytes to the target as they pass; deep verification reads them only.
/// Both then ask <see cref="ChainFile.Mismatch"/>, so they judge a backup the same way.
/// </summary>
internal static class ChainFileReader
{
    private const int ChunkSize = 1024 * 1024;

    /// <summary>
    /// Decompresses the file on this thread (into <paramref name="output"/> when given), while the same chunks
    /// are hashed on another and parsed into <paramref name="spans"/> on a third: the checks are of exactly the
    /// bytes written, and cost no time on the thread that writes them.
    /// </summary>
    /// <param name="endEarly">Asked when a segment is damaged: true ends the file there; without it the damage is thrown.</param>
    /// <returns>The bytes read and their sha256 (hex).</returns>
    public static async Task<(long Bytes, string Sha256)> ReadAsync(
        ChainFile file, Stream? output, SegmentSpanTally spans, ReaderOptions readerOptions, Action<long>? progress,
        Func<DamagedSegmentException, bool>? endEarly, CancellationToken cancellationToken)
    {
        var reader = BackgroundReader.Start(spans, readerOptions, cancellationToken);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        // Two buffers: one is hashed while the next chunk is decompressed into the other.
        byte[][] buffers = [ArrayPool<byte>.Shared.Rent(ChunkSize), ArrayPool<byte>.Shared.Rent(ChunkSize)];
        var hashing = Task.CompletedTask;
        long bytes = 0;
        try
        {
            await using (var input = new ChainFileStream(file, progress))
            {
                for (var turn = 0; ; turn ^= 1)
                {
                    var buffer = buffers[turn];
                    var read = ReadChunk(input, buffer, endEarly);
                    if (read == 0)
                        break;
                    await reader.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                    await hashing;
                    hashing = Task.Run(() => hash.AppendData(buffer, 0, read), cancellationToken);
                    if (output is not null)
                        await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                    bytes += read;
                }

                await hashing;
            }

            await reader.CompleteAsync();
        }
        catch (Exception e)
        {
            await hashing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await reader.FailAsync(e);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffers[0]);
            ArrayPool<byte>.Shared.Return(buffers[1]);
        }

        return (bytes, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    private static int ReadChunk(ChainFileStream input, byte[] buffer, Func<DamagedSegmentException, bool>? endEarly)
    {
        try
        {
            return input.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false); // whole chunks: fewer hand-offs
        }
        catch (DamagedSegmentException e) when (endEarly?.Invoke(e) == true)
        {
            return 0;
        }
    }
}
