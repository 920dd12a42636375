using System.Buffers;
using System.Security.Cryptography;
using SpanRecovery.Otlp;
using SpanRecovery.Repository;

namespace SpanRecovery.Restore;

/// <summary>A chain file's bytes as captured, decompressed into a restored file.</summary>
internal static class ChainFileCopy
{
    private const int CopyBufferSize = 1024 * 1024;

    /// <summary>
    /// Decompresses a chain file into <paramref name="path"/> on this thread, while the same chunks are
    /// hashed on another and parsed into <paramref name="spans"/> on a third: the checks are of exactly the
    /// bytes written, and cost no time on the thread that writes them.
    /// </summary>
    public static async Task<(long Written, string Sha256)> CopyCheckedAsync(
        ChainFile file, string path, SegmentSpanTally spans, ReaderOptions readerOptions, RestoreOptions options, CancellationToken cancellationToken)
    {
        var reader = BackgroundReader.Start(spans, readerOptions, cancellationToken);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        // Two buffers: one is hashed while the next chunk is decompressed into the other.
        byte[][] buffers = [ArrayPool<byte>.Shared.Rent(CopyBufferSize), ArrayPool<byte>.Shared.Rent(CopyBufferSize)];
        var hashing = Task.CompletedTask;
        long written = 0;
        try
        {
            await using (var output = new FileStream(SourceFiles.CreateNew(path), FileAccess.Write, bufferSize: 0))
            await using (var input = new ChainFileStream(file, options.Progress))
            {
                for (var turn = 0; ; turn ^= 1)
                {
                    var buffer = buffers[turn];
                    var read = ReadOrReport(input, buffer, options);
                    if (read == 0)
                        break;
                    await reader.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                    await hashing;
                    hashing = Task.Run(() => hash.AppendData(buffer, 0, read), cancellationToken);
                    await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                    written += read;
                }

                await hashing;
                output.Flush(flushToDisk: true);
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

        return (written, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    /// <summary>
    /// A captured file in no known format has no spans to select; it is restored as it was rather than lost
    /// (the backup recorded it as unreadable).
    /// </summary>
    public static async Task CopyUnreadableAsync(ChainFile file, string path, RestoreOptions options, CancellationToken cancellationToken)
    {
        options.Log?.WriteLine($"spanrecovery: warning: {SourcePath.Display(file.Path)} is in no known trace format; restored as captured");
        await using var input = new ChainFileStream(file, options.Progress);
        await using var output = new FileStream(SourceFiles.CreateNew(path), FileAccess.Write);
        await input.CopyToAsync(output, cancellationToken);
    }

    /// <summary>Reads decompressed bytes; with <c>--force</c> a damaged segment ends its file early instead of the restore.</summary>
    private static int ReadOrReport(ChainFileStream input, byte[] buffer, RestoreOptions options)
    {
        try
        {
            return input.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false); // whole chunks: fewer hand-offs
        }
        catch (CorruptedBackupException e) when (options.Force)
        {
            options.Log?.WriteLine($"spanrecovery: warning: {e.Message}; the file is restored up to there (--force)");
            return 0;
        }
    }
}
