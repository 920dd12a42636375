using System.Buffers;

namespace SpanRecovery.Otlp.Zstd;

/// <summary>
/// A read-only stream of what libzstd decompresses from <paramref name="source"/>: any number of frames, one
/// after another. A source that ends inside a frame is an <see cref="InvalidDataException"/>, as is damage —
/// a truncated archive is an error, never a short read.
/// </summary>
internal sealed class ZstdDecodingStream(Stream source, int bufferSize, bool leaveOpen) : ReadOnlyStream
{
    private readonly nint _context = NativeZstd.NewContext();
    // Pooled: a stream is opened per file and per segment, and its input buffer is the only large allocation.
    private byte[] _input = ArrayPool<byte>.Shared.Rent(bufferSize);
    private int _inputStart, _inputEnd;
    private bool _inFrame, _sourceDone, _disposed;

    public override unsafe int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this); // the libzstd context is freed
        if (buffer.IsEmpty)
            return 0;
        while (true)
        {
            if (_inputStart == _inputEnd && !_sourceDone)
            {
                _inputStart = 0;
                _inputEnd = source.Read(_input);
                _sourceDone = _inputEnd == 0;
            }

            var noInput = _inputStart == _inputEnd;
            if (noInput && !_inFrame)
                return 0;
            fixed (byte* output = buffer)
            fixed (byte* input = _input)
            {
                var outBuffer = new NativeZstd.OutBuffer { Destination = output, Size = (nuint)buffer.Length };
                var inBuffer = new NativeZstd.InBuffer { Source = input + _inputStart, Size = (nuint)(_inputEnd - _inputStart) };
                // With no input left this only flushes what libzstd still holds of the current frame.
                var hint = NativeZstd.Check(NativeZstd.DecompressStream(_context, &outBuffer, &inBuffer));
                _inputStart += (int)inBuffer.Position;
                _inFrame = hint != 0; // 0: a frame ended, its checksum (if it has one) matched, and all of it is out
                if (outBuffer.Position > 0)
                    return (int)outBuffer.Position;
            }

            if (noInput)
                throw new InvalidDataException("zstd: the data ends inside a frame (truncated)");
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (_disposed)
            return;
        _disposed = true;
        if (disposing)
        {
            if (!leaveOpen)
                source.Dispose();
            ArrayPool<byte>.Shared.Return(_input);
            _input = [];
        }

        _ = NativeZstd.FreeContext(_context);
        base.Dispose(disposing);
    }

    ~ZstdDecodingStream() => Dispose(false);
}
