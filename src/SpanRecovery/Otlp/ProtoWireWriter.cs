using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace SpanRecovery.Otlp;

/// <summary>
/// Writes protobuf wire bytes for the encoders that splice serialized messages instead of building them (the
/// restore filter that drops spans, the splitter that cuts requests): varints, and the tag and length of a
/// length-delimited field, the same bytes Google.Protobuf's <c>CodedOutputStream</c> writes. The counterpart
/// of <see cref="ProtoWireReader"/>; whole messages are written by Google.Protobuf.
/// </summary>
internal static class ProtoWireWriter
{
    private const int MaxVarintBytes = 10;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Tag(int field, WireType wireType) => ((uint)field << 3) | (uint)wireType;

    public static void WriteVarint(IBufferWriter<byte> output, ulong value) =>
        output.Advance(WriteVarint(output.GetSpan(MaxVarintBytes), value));

    /// <summary>The tag and length of a length-delimited field; its <paramref name="length"/> bytes of content follow.</summary>
    public static void WriteLengthDelimitedHeader(IBufferWriter<byte> output, int field, int length)
    {
        var destination = output.GetSpan(2 * MaxVarintBytes);
        var written = WriteVarint(destination, Tag(field, WireType.LengthDelimited));
        written += WriteVarint(destination[written..], (uint)length);
        output.Advance(written);
    }

    public static void WriteLengthDelimited(IBufferWriter<byte> output, int field, ReadOnlySpan<byte> content)
    {
        WriteLengthDelimitedHeader(output, field, content.Length);
        output.Write(content);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int VarintSize(ulong value) => (BitOperations.Log2(value | 1) / 7) + 1;

    /// <summary>The bytes of a length-delimited field with <paramref name="length"/> bytes of content, tag and length included.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int LengthDelimitedSize(int field, int length) =>
        VarintSize(Tag(field, WireType.LengthDelimited)) + VarintSize((uint)length) + length;

    private static int WriteVarint(Span<byte> destination, ulong value)
    {
        var written = 0;
        for (; value >= 0x80; value >>= 7)
            destination[written++] = (byte)(value | 0x80);
        destination[written++] = (byte)value;
        return written;
    }
}
