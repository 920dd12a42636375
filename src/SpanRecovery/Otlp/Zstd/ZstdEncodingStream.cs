using System.Buffers;

namespace SpanRecovery.Otlp.Zstd;

/// <summary>
/// A write-only stream that libzstd compresses into one zstd frame on a destination stream, with a number of
/// worker threads of libzstd's own beside the writer (0: all in the writer's thread). The frame is ended when
/// the stream is disposed; only compressed output reaches the destination, asynchronously where asked.
/// </summary>
internal sealed class ZstdEncodingStream : WriteOnlyStream
{
    private readonly nint _context = NativeZstd.NewCompressionContext();
    private readonly Stream _destination;
    private readonly bool _leaveOpen;
    private byte[] _output = ArrayPool<byte>.Shared.Rent(1 << 17); // libzstd's ZSTD_CStreamOutSize(): one block with its header
    private bool _finished, _disposed;

    public ZstdEncodingStream(Stream destination, int level, int workers, bool leaveOpen)
    {
        _destination = destination;
        _leaveOpen = leaveOpen;
        NativeZstd.Check(NativeZstd.SetParameter(_context, NativeZstd.CompressionLevel, level));
        // A libzstd built without threads refuses workers; it then compresses in this thread, the same frame.
        _ = NativeZstd.SetParameter(_context, NativeZstd.Workers, workers);
    }

    /// <summary>JSON lines end with one: without this, Stream would allocate an array for each.</summary>
    public override void WriteByte(byte value) => Write(new ReadOnlySpan<byte>(in value));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        var consumed = 0;
        do
        {
            var (used, produced, _) = Compress(buffer[consumed..], end: false);
            consumed += used;
            _destination.Write(_output, 0, produced);
        }
        while (consumed < buffer.Length);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var consumed = 0;
        do
        {
            var (used, produced, _) = Compress(buffer.Span[consumed..], end: false);
            consumed += used;
            await _destination.WriteAsync(_output.AsMemory(0, produced), cancellationToken);
        }
        while (consumed < buffer.Length);
    }

    /// <summary>Nothing is pushed out before the frame ends: a flush mid-frame would only cost ratio.</summary>
    public override void Flush()
    {
    }

    protected override void Dispose(bool disposing)
    {
        try
        {
            if (disposing && !_finished)
            {
                _finished = true;
                for (var done = false; !done;)
                {
                    (_, var produced, done) = Compress([], end: true);
                    _destination.Write(_output, 0, produced);
                }
            }
        }
        finally
        {
            Release(disposing);
            base.Dispose(disposing);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        try
        {
            if (!_finished)
            {
                _finished = true;
                for (var done = false; !done;)
                {
                    (_, var produced, done) = Compress([], end: true);
                    await _destination.WriteAsync(_output.AsMemory(0, produced));
                }
            }
        }
        finally
        {
            await base.DisposeAsync(); // Dispose(true): the frame is ended already, so this only frees
            GC.SuppressFinalize(this);
        }
    }

    ~ZstdEncodingStream() => Dispose(false);

    /// <summary>
    /// One step of libzstd: takes what it can of <paramref name="input"/> and fills the output buffer with what is
    /// ready. With <paramref name="end"/>, it ends the frame; done once all of the frame is out.
    /// </summary>
    private unsafe (int Used, int Produced, bool Done) Compress(ReadOnlySpan<byte> input, bool end)
    {
        ObjectDisposedException.ThrowIf(_disposed, this); // the libzstd context is freed
        fixed (byte* source = input)
        fixed (byte* destination = _output)
        {
            var inBuffer = new NativeZstd.InBuffer { Source = source, Size = (nuint)input.Length };
            var outBuffer = new NativeZstd.OutBuffer { Destination = destination, Size = (nuint)_output.Length };
            var left = NativeZstd.Check(NativeZstd.CompressStream(_context, &outBuffer, &inBuffer, end ? NativeZstd.EndFrame : NativeZstd.Continue));
            return ((int)inBuffer.Position, (int)outBuffer.Position, end && left == 0);
        }
    }

    private void Release(bool disposing)
    {
        if (_disposed)
            return;
        _disposed = true;
        _ = NativeZstd.FreeCompressionContext(_context);
        if (disposing)
        {
            ArrayPool<byte>.Shared.Return(_output);
            _output = [];
            if (!_leaveOpen)
                _destination.Dispose();
        }
    }
}
