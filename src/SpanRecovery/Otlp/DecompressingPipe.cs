using System.IO.Compression;
using System.IO.Pipelines;
using SpanRecovery.Otlp.Zstd;

namespace SpanRecovery.Otlp;

/// <summary>Whole-file decompression failed (corrupted or truncated zstd / gzip data).</summary>
internal sealed class CorruptCompressionException : Exception
{
    public CorruptCompressionException(string message, long decompressedOffset, Exception innerException)
        : base(message, innerException) => DecompressedOffset = decompressedOffset;

    public CorruptCompressionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public CorruptCompressionException()
    {
    }

    public CorruptCompressionException(string message)
        : base(message)
    {
    }

    /// <summary>How many good bytes came out before the damage: where the problem is in the decompressed input.</summary>
    public long DecompressedOffset { get; }
}

/// <summary>
/// Decompression as its own pipeline stage: a task on another thread inflates the compressed pipe into a
/// new pipe, so decompression and parsing run on both cores (whole-file zstd with libzstd goes straight into
/// the buffers the parser reads instead: <see cref="ZstdSegmentReader"/>). The writer pauses when the parser
/// falls behind (bounded memory). A corrupted or truncated stream ends the pipe normally after the last good bytes, so
/// the parser still gets everything that was recovered, and the producer task returns the damage as a
/// <see cref="CorruptCompressionException"/> for the reader to report once parsing is done.
/// </summary>
internal static class DecompressingPipe
{
    private const int ChunkSize = 1024 * 1024;

    private static readonly PipeOptions Options = new(
        pauseWriterThreshold: 16 * 1024 * 1024,
        resumeWriterThreshold: 8 * 1024 * 1024,
        minimumSegmentSize: ChunkSize,
        useSynchronizationContext: false);

    public static (PipeReader Reader, Task<CorruptCompressionException?> Producer) Start(PipeReader compressed, InputCompression compression, CancellationToken cancellationToken)
    {
        if (compression == InputCompression.Zstd && NativeZstd.IsAvailable)
        {
            var direct = new ZstdSegmentReader(compressed, cancellationToken);
            return (direct, direct.Producer);
        }

        var pipe = new Pipe(Options);
        var producer = Task.Run(() => ProduceAsync(compressed, compression, pipe.Writer, cancellationToken), cancellationToken);
        return (pipe.Reader, producer);
    }

    private static async Task<CorruptCompressionException?> ProduceAsync(PipeReader compressed, InputCompression compression, PipeWriter writer, CancellationToken cancellationToken)
    {
        CorruptCompressionException? damage = null;
        Exception? failure = null;
        long produced = 0;
        try
        {
            await using var source = compressed.AsStream(leaveOpen: true);
            await using Stream inflated = compression == InputCompression.Zstd
                ? ZstdFrames.Decompress(source, ChunkSize, leaveOpen: true)
                : new GZipStream(source, CompressionMode.Decompress, leaveOpen: true);
            while (true)
            {
                var memory = writer.GetMemory(ChunkSize);
                var read = inflated.Read(memory.Span);
                if (read == 0)
                    break;
                writer.Advance(read);
                produced += read;
                var flush = await writer.FlushAsync(cancellationToken);
                if (flush.IsCompleted)
                    break; // the parser stopped reading
            }
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            damage = new CorruptCompressionException(
                $"corrupted {compression.Name()} data after {produced} decompressed bytes: {e.Message}", produced, e);
        }
        catch (Exception e)
        {
            failure = e;
        }

        await writer.CompleteAsync(failure);
        return damage;
    }
}
