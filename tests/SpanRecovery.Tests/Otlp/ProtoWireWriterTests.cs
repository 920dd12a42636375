using System.Buffers;
using FsCheck.Xunit;
using Google.Protobuf;
using SpanRecovery.Otlp;

namespace SpanRecovery.Tests.OtlpReading;

/// <summary>
/// <see cref="ProtoWireWriter"/> writes what Google.Protobuf's <see cref="CodedOutputStream"/> writes, byte
/// for byte, and <see cref="ProtoWireReader"/> reads it back; its sizes are the lengths it writes.
/// </summary>
public class ProtoWireWriterTests
{
    private const int MaxFieldNumber = 536_870_911;

    /// <summary>Every varint length from 1 to 10 bytes, and the values either side of each boundary.</summary>
    public static TheoryData<ulong> EdgeValues { get; } =
        [0, 1, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152, int.MaxValue, uint.MaxValue, 1UL << 35, 1UL << 62, long.MaxValue, 1UL << 63, ulong.MaxValue];

    [Theory]
    [MemberData(nameof(EdgeValues))]
    public void Edge_varints_write_like_protobuf_and_read_back(ulong value) => AssertVarint(value);

    [Property(MaxTest = 100)]
    public void Random_varints_write_like_protobuf_and_read_back(int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < 50; i++)
            AssertVarint(RandomUInt64(random));
    }

    [Property(MaxTest = 100)]
    public void Random_length_delimited_fields_write_like_protobuf_and_read_back(int seed)
    {
        var random = new Random(seed);
        var field = RandomFieldNumber(random);
        var content = new byte[random.Next(3) == 0 ? random.Next(200, 20_000) : random.Next(130)];
        random.NextBytes(content);
        var output = new ArrayBufferWriter<byte>();

        ProtoWireWriter.WriteLengthDelimited(output, field, content);

        var expected = Protobuf(stream =>
        {
            stream.WriteTag(field, WireFormat.WireType.LengthDelimited);
            stream.WriteBytes(ByteString.CopyFrom(content));
        });
        Assert.Equal(expected, output.WrittenSpan.ToArray());
        Assert.Equal(expected.Length, ProtoWireWriter.LengthDelimitedSize(field, content.Length));
        var reader = new ProtoWireReader(output.WrittenSpan, 0);
        Assert.Equal((field, WireType.LengthDelimited), reader.ReadTag());
        Assert.Equal(content, reader.ReadLengthDelimited().ToArray());
        Assert.True(reader.End);
    }

    /// <summary>Headers up to the largest length a span can hold, without the content they announce.</summary>
    [Property(MaxTest = 100)]
    public void Random_length_delimited_headers_write_like_protobuf(int seed)
    {
        var random = new Random(seed);
        var field = RandomFieldNumber(random);
        var length = (int)(RandomUInt64(random) % int.MaxValue);
        var output = new ArrayBufferWriter<byte>();

        ProtoWireWriter.WriteLengthDelimitedHeader(output, field, length);

        var expected = Protobuf(stream =>
        {
            stream.WriteTag(field, WireFormat.WireType.LengthDelimited);
            stream.WriteLength(length);
        });
        Assert.Equal(expected, output.WrittenSpan.ToArray());
        Assert.Equal(expected.Length + length, ProtoWireWriter.LengthDelimitedSize(field, length));
        var reader = new ProtoWireReader(output.WrittenSpan, 0);
        Assert.Equal((field, WireType.LengthDelimited), reader.ReadTag());
        Assert.Equal((ulong)length, reader.ReadVarint());
        Assert.True(reader.End);
    }

    private static void AssertVarint(ulong value)
    {
        var output = new ArrayBufferWriter<byte>();

        ProtoWireWriter.WriteVarint(output, value);

        var expected = Protobuf(stream => stream.WriteUInt64(value));
        Assert.Equal(expected, output.WrittenSpan.ToArray());
        Assert.Equal(expected.Length, ProtoWireWriter.VarintSize(value));
        var reader = new ProtoWireReader(output.WrittenSpan, 0);
        Assert.Equal(value, reader.ReadVarint());
        Assert.True(reader.End);
    }

    private static byte[] Protobuf(Action<CodedOutputStream> write)
    {
        using var bytes = new MemoryStream();
        using (var stream = new CodedOutputStream(bytes, leaveOpen: true))
            write(stream);
        return bytes.ToArray();
    }

    /// <summary>Uniform over bit lengths rather than values, so short varints are as likely as long ones.</summary>
    private static ulong RandomUInt64(Random random) => (ulong)random.NextInt64(long.MinValue, long.MaxValue) >> random.Next(64);

    private static int RandomFieldNumber(Random random) => random.Next(2) == 0 ? random.Next(1, 40) : random.Next(1, MaxFieldNumber + 1);
}
