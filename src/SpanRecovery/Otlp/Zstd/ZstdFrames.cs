using ZstdSharp;

namespace SpanRecovery.Otlp.Zstd;

/// <summary>
/// zstd for the readers and the writers: libzstd where the system has it, else the managed port. Damage is an
/// <see cref="InvalidDataException"/> either way, so callers handle one exception whichever decoder ran.
/// </summary>
internal static class ZstdFrames
{
    /// <summary>A stream that compresses what is written into one frame on <paramref name="destination"/>, ended when it is disposed.</summary>
    /// <param name="workers">Compression threads beside the writer (0: none).</param>
    /// <param name="native">libzstd or the managed port; by default libzstd when the system has it.</param>
    public static Stream Compress(Stream destination, int level, int workers, bool leaveOpen, bool? native = null)
    {
        if (native ?? NativeZstd.IsAvailable)
            return new ZstdEncodingStream(destination, level, workers, leaveOpen);
        var managed = new CompressionStream(destination, level, leaveOpen: leaveOpen);
        if (workers > 0)
            managed.SetParameter(ZstdSharp.Unsafe.ZSTD_cParameter.ZSTD_c_nbWorkers, workers);
        return managed;
    }

    /// <summary>A stream of the frames in <paramref name="source"/>, decompressed; a truncated last frame is an error.</summary>
    /// <param name="native">libzstd or the managed port; by default libzstd when the system has it (benchmarks and tests compare both).</param>
    public static Stream Decompress(Stream source, int bufferSize, bool leaveOpen, bool? native = null) =>
        native ?? NativeZstd.IsAvailable
            ? new ZstdDecodingStream(source, bufferSize, leaveOpen)
            : new ManagedDecodingStream(new DecompressionStream(source, bufferSize, checkEndOfStream: true, leaveOpen: leaveOpen));

    /// <summary>The managed port, with its exceptions turned into the one kind callers catch.</summary>
    private sealed class ManagedDecodingStream(DecompressionStream inner) : ReadOnlyStream
    {
        public override int Read(Span<byte> buffer)
        {
            try
            {
                return inner.Read(buffer);
            }
            catch (Exception e) when (e is ZstdException or EndOfStreamException)
            {
                throw new InvalidDataException($"zstd: {e.Message}", e);
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
