using ZstdSharp;

namespace SpanRecovery.Otlp.Zstd;

/// <summary>
/// Decompresses one whole zstd frame at a time (a record of a zstd-per-record file) into a caller's buffer,
/// with libzstd where the system has it, else the managed port. Damage is an <see cref="InvalidDataException"/>.
/// </summary>
internal sealed class ZstdFrameDecoder : IDisposable
{
    private readonly nint _native;
    private readonly Decompressor? _managed;

    /// <param name="native">libzstd or the managed port; by default libzstd when the system has it.</param>
    public ZstdFrameDecoder(bool? native = null)
    {
        if (native ?? NativeZstd.IsAvailable)
            _native = NativeZstd.NewContext();
        else
            _managed = new Decompressor();
    }

    /// <summary>False when <paramref name="destination"/> is too small for the frame's content.</summary>
    public unsafe bool TryUnwrap(ReadOnlySpan<byte> frame, Span<byte> destination, out int written)
    {
        written = 0;
        if (_managed is not null)
        {
            try
            {
                return _managed.TryUnwrap(frame, destination, out written);
            }
            catch (ZstdException e)
            {
                throw new InvalidDataException($"zstd: {e.Message}", e);
            }
        }

        fixed (byte* source = frame)
        fixed (byte* output = destination)
        {
            var result = NativeZstd.Decompress(_native, output, (nuint)destination.Length, source, (nuint)frame.Length);
            if (NativeZstd.IsDestinationTooSmall(result))
                return false;
            written = (int)NativeZstd.Check(result);
            return true;
        }
    }

    public void Dispose()
    {
        _managed?.Dispose();
        if (_native != 0)
            _ = NativeZstd.FreeContext(_native);
    }
}
