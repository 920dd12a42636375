using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using FsCheck.Xunit;
using SpanRecovery.Otlp;
using SpanRecovery.Otlp.Zstd;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace SpanRecovery.Tests.OtlpReading;

/// <summary>
/// Whole-file zstd decompressed straight into the parser's buffers (<see cref="ZstdSegmentReader"/>), against the
/// original bytes. Random files of several frames — windows from 1 KiB to 2 MiB, so segments are outgrown and
/// turn over often; with and without checksums; skippable frames between — arrive in random pieces down to
/// 1 byte, and a parser consumes random amounts, at times nothing for a while (the rest of a long record): every
/// byte arrives once and in order. A file cut short or damaged is reported, after the good bytes before it.
/// </summary>
public sealed class ZstdSegmentReaderProperties
{
    [Property(MaxTest = 40)]
    public void Every_byte_arrives_in_order(int seed)
    {
        var (original, compressed, _) = RandomFile(new Random(seed));

        var (read, damage) = ReadThrough(compressed, seed);

        Assert.True(damage is null, damage?.Message);
        Assert.Equal(original, read);
    }

    [Property(MaxTest = 40)]
    public void A_file_cut_short_is_damage_after_a_prefix_of_the_original(int seed)
    {
        var random = new Random(seed);
        var (original, compressed, frameEnds) = RandomFile(random);
        var cut = random.Next(1, compressed.Length);

        var (read, damage) = ReadThrough(compressed[..cut], seed);

        Assert.Equal(original.AsSpan(0, read.Length).ToArray(), read);
        // Cut between frames, the file is whole as far as it goes; anywhere else the cut is reported.
        Assert.Equal(!frameEnds.Contains(cut), damage is not null);
        if (damage is not null)
            Assert.Equal(read.Length, damage.DecompressedOffset);
    }

    [Property(MaxTest = 40)]
    public void A_damaged_byte_is_found_by_the_checksum_or_changes_nothing(int seed)
    {
        var random = new Random(seed);
        var (original, compressed, _) = RandomFile(random, checksums: true);
        compressed[random.Next(compressed.Length)] ^= (byte)random.Next(1, 256);

        var (read, damage) = ReadThrough(compressed, seed);

        Assert.True(damage is not null || read.AsSpan().SequenceEqual(original), "damage was neither reported nor harmless");
    }

    [Fact]
    public void A_window_over_the_limit_is_damage_not_an_allocation()
    {
        // Frame header: magic, descriptor without single-segment flag, window descriptor for 2^30 bytes (exponent 20).
        byte[] frame = [0x28, 0xB5, 0x2F, 0xFD, 0x00, 20 << 3, 0x01, 0x00, 0x00];

        var (read, damage) = ReadThrough(frame, seed: 0);

        Assert.Empty(read);
        Assert.Contains("window", Assert.IsType<CorruptCompressionException>(damage).Message, StringComparison.Ordinal);
    }

    /// <summary>Frames of random size, window and checksum, some skippable frames between; the offsets where frames end.</summary>
    private static (byte[] Original, byte[] Compressed, HashSet<int> FrameEnds) RandomFile(Random random, bool? checksums = null)
    {
        var original = new List<byte>();
        var compressed = new List<byte>();
        var frameEnds = new HashSet<int>();
        for (var frame = random.Next(1, 5); frame > 0; frame--)
        {
            if (random.Next(4) == 0)
                compressed.AddRange(SkippableFrame(random));
            var data = TestInputs.Record(random.Next(0, 4000), random.Next()); // up to about 1.5 MB
            using var compressor = new Compressor(random.Next(1, 6));
            compressor.SetParameter(ZSTD_cParameter.ZSTD_c_checksumFlag, checksums ?? random.Next(2) == 0 ? 1 : 0);
            // A window smaller than the data: the frame is not single-segment, and its window is what it says.
            compressor.SetParameter(ZSTD_cParameter.ZSTD_c_windowLog, random.Next(10, 22));
            original.AddRange(data);
            compressed.AddRange(compressor.Wrap(data).ToArray());
            frameEnds.Add(compressed.Count);
        }

        return ([.. original], [.. compressed], frameEnds);
    }

    private static byte[] SkippableFrame(Random random)
    {
        var content = new byte[random.Next(0, 3000)];
        random.NextBytes(content);
        var frame = new byte[8 + content.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(frame, 0x184D2A50u + (uint)random.Next(16));
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(4), (uint)content.Length);
        content.CopyTo(frame, 8);
        return frame;
    }

    /// <summary>Feeds the file in random pieces and reads it the way the framing readers do; fails rather than hangs.</summary>
    private static (byte[] Read, CorruptCompressionException? Damage) ReadThrough(byte[] compressed, int seed)
    {
        var pipe = new Pipe();
        var feeding = Task.Run(async () =>
        {
            var random = new Random(seed ^ 0x5EED);
            for (var at = 0; at < compressed.Length;)
            {
                var piece = Math.Min(compressed.Length - at, random.Next(10) == 0 ? 1 : random.Next(1, 70_000));
                if ((await pipe.Writer.WriteAsync(compressed.AsMemory(at, piece))).IsCompleted)
                    break; // decompression stopped at damage
                at += piece;
            }

            await pipe.Writer.CompleteAsync();
        });
        var reader = new ZstdSegmentReader(pipe.Reader, CancellationToken.None, minSegmentBytes: 1);
        var output = new MemoryStream();
        var reading = Task.Run(async () =>
        {
            var random = new Random(seed);
            while (true)
            {
                var result = await reader.ReadAsync();
                var buffer = result.Buffer;
                var take = result.IsCompleted ? buffer.Length : random.Next(4) switch
                {
                    0 => 0, // waits for the rest of a record: examined, not consumed
                    1 => buffer.Length,
                    _ => random.NextInt64(buffer.Length + 1),
                };
                if (random.Next(8) == 0)
                    await Task.Delay(1); // a slow parser: decompression runs ahead until it must wait
                foreach (var memory in buffer.Slice(0, take))
                    output.Write(memory.Span);
                reader.AdvanceTo(buffer.GetPosition(take), buffer.End);
                if (result.IsCompleted)
                    break;
            }

            // As TraceFileReader does: the decompressed side first, then, once decompression stopped, its input.
            reader.Complete();
            await reader.Producer;
            await pipe.Reader.CompleteAsync();
        });

        Assert.True(Task.WhenAll(feeding, reading, reader.Producer).Wait(TimeSpan.FromSeconds(60)), "the reader hung");
        return (output.ToArray(), reader.Producer.Result);
    }
}
