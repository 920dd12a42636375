using FsCheck;
using FsCheck.Xunit;
using SpanRecovery.Otlp.Zstd;

namespace SpanRecovery.Tests.OtlpReading;

/// <summary>
/// libzstd and the managed port are interchangeable: on random multi-frame data, read through a source that
/// hands out 1 byte at a time, both give exactly the original bytes; both call a frame cut short damage
/// (never a short read), and both decode single frames the same, saying when the buffer is too small. Both
/// encoders write what either decoder reads back, whatever the writes and the worker threads.
/// </summary>
public sealed class ZstdDecoderProperties
{
    [Property(MaxTest = 100)]
    public void Both_decoders_give_the_original_bytes_of_every_frame(byte[][] writes, bool checksum, PositiveInt readSize)
    {
        var original = writes.SelectMany(w => w).ToArray();
        var compressed = writes.SelectMany(w => TestInputs.Zstd(w, checksum)).ToArray();

        foreach (var native in new[] { true, false })
            Assert.Equal(original, ReadAll(compressed, native, 1 + (readSize.Get % 70_000)));
    }

    [Property(MaxTest = 50)]
    public void Both_decoders_refuse_a_frame_cut_short(NonEmptyArray<byte> data, PositiveInt cut)
    {
        var frame = TestInputs.Zstd(data.Get);
        var truncated = frame[..(cut.Get % (frame.Length - 1) + 1)];

        foreach (var native in new[] { true, false })
            Assert.Throws<InvalidDataException>(() => ReadAll(truncated, native, 4096));
    }

    [Property(MaxTest = 100)]
    public void Both_frame_decoders_agree_and_report_a_small_buffer(byte[] data)
    {
        var frame = TestInputs.Zstd(data);
        foreach (var native in new[] { true, false })
        {
            using var decoder = new ZstdFrameDecoder(native);
            var exact = new byte[data.Length];
            Assert.True(decoder.TryUnwrap(frame, exact, out var written));
            Assert.Equal(data, exact[..written]);
            if (data.Length > 0)
                Assert.False(decoder.TryUnwrap(frame, new byte[data.Length - 1], out _));
        }
    }

    [Fact]
    public void Both_frame_decoders_call_a_checksum_mismatch_damage()
    {
        var frame = TestInputs.Zstd(TestInputs.Record(20, seed: 1));
        frame[^1] ^= 0xFF; // the frame's content checksum
        foreach (var native in new[] { true, false })
        {
            using var decoder = new ZstdFrameDecoder(native);
            Assert.Throws<InvalidDataException>(() => decoder.TryUnwrap(frame, new byte[2000], out _));
        }
    }

    [Property(MaxTest = 60)]
    public void Both_encoders_write_what_both_decoders_read_back(byte[][] writes, bool nativeEncoder, bool async, PositiveInt level)
    {
        var original = writes.SelectMany(w => w).ToArray();
        var compressed = Encode(writes, nativeEncoder, async, 1 + (level.Get % 9), workers: 0);

        foreach (var native in new[] { true, false })
            Assert.Equal(original, ReadAll(compressed, native, 4096));
    }

    /// <summary>Several MB through libzstd's worker threads: jobs finish out of step with the writes, the frame stays whole.</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Compression_workers_keep_every_byte_in_order(bool nativeEncoder)
    {
        var random = new Random(7);
        var writes = Enumerable.Range(0, 12).Select(_ => TestInputs.Record(2500, seed: random.Next())).ToArray();
        var compressed = Encode(writes, nativeEncoder, async: true, level: 3, workers: 2);

        Assert.Equal(writes.SelectMany(w => w), ReadAll(compressed, native: true, 1 << 16));
    }

    private static byte[] Encode(byte[][] writes, bool native, bool async, int level, int workers)
    {
        var output = new MemoryStream();
        var zstd = ZstdFrames.Compress(output, level, workers, leaveOpen: true, native);
        foreach (var write in writes)
        {
            if (async)
                zstd.WriteAsync(write).AsTask().GetAwaiter().GetResult();
            else
                zstd.Write(write);
        }

        if (async)
            zstd.DisposeAsync().AsTask().GetAwaiter().GetResult();
        else
            zstd.Dispose();
        return output.ToArray();
    }

    private static byte[] ReadAll(byte[] compressed, bool native, int readSize)
    {
        using var source = new TrickleStream(compressed);
        using var decoded = ZstdFrames.Decompress(source, bufferSize: 64, leaveOpen: false, native);
        var output = new MemoryStream();
        var buffer = new byte[readSize];
        for (int read; (read = decoded.Read(buffer)) > 0;)
            output.Write(buffer, 0, read);
        return output.ToArray();
    }

    /// <summary>A source that gives one byte per read: every state of the decoder between reads is visited.</summary>
    private sealed class TrickleStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(1, buffer.Length)]);

        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(1, count));
    }
}
