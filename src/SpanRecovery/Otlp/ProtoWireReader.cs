using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace SpanRecovery.Otlp;

/// <summary>
/// A strict protobuf wire reader over one contiguous message, in the manner of Google.Protobuf's
/// <c>ParseContext</c>: every length is checked against the bytes left in this message, varints are at most
/// ten bytes with a tenth byte of 0 or 1, and the obsolete group wire types are rejected. Nested messages are
/// read by a new reader over the slice <see cref="ReadLengthDelimited"/> returns, so a nested length can never
/// run past its parent. <see cref="Position"/> is relative to <see cref="BaseOffset"/> for error messages.
/// </summary>
internal ref struct ProtoWireReader
{
    private readonly ReadOnlySpan<byte> _buffer;
    private int _position;

    public ProtoWireReader(ReadOnlySpan<byte> buffer, int baseOffset)
    {
        _buffer = buffer;
        BaseOffset = baseOffset;
    }

    public readonly int BaseOffset { get; }

    public readonly bool End => _position >= _buffer.Length;

    public readonly int Position => _position;

    /// <summary>Reads a tag and splits it; field number 0 and wire types 6/7 are malformed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public (int Field, WireType WireType) ReadTag()
    {
        var start = _position;
        var tag = ReadVarint();
        var field = tag >> 3;
        var wireType = (int)(tag & 7);
        if (field == 0 || field > 536_870_911 || wireType > 5)
            ThrowInvalidTag(tag, start);
        return ((int)field, (WireType)wireType);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong ReadVarint()
    {
        if ((uint)_position < (uint)_buffer.Length)
        {
            var first = _buffer[_position];
            if (first < 0x80)
            {
                _position++;
                return first;
            }

            // Two bytes: the length of most spans and attributes (128 bytes to 16 KiB).
            if ((uint)(_position + 1) < (uint)_buffer.Length && _buffer[_position + 1] < 0x80)
            {
                var second = _buffer[_position + 1];
                _position += 2;
                return (first & 0x7FUL) | ((ulong)second << 7);
            }
        }

        return ReadVarintSlow();
    }

    private ulong ReadVarintSlow()
    {
        var start = _position;
        ulong result = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            if (_position >= _buffer.Length)
                throw Malformed("varint runs past the end of the message", start);
            var b = _buffer[_position++];
            if (shift == 63 && b > 1)
                throw Malformed("varint overflows 64 bits", start);
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
                return result;
        }

        throw Malformed("varint longer than 10 bytes", start);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong ReadFixed64()
    {
        if (_buffer.Length - _position < 8)
            ThrowFixedPastEnd(8);
        var value = BinaryPrimitives.ReadUInt64LittleEndian(_buffer.Slice(_position, 8));
        _position += 8;
        return value;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<byte> ReadLengthDelimited()
    {
        var start = _position;
        var length = ReadVarint();
        if (length > (ulong)(_buffer.Length - _position))
            ThrowLengthPastEnd(length, start);
        var slice = _buffer.Slice(_position, (int)length);
        _position += (int)length;
        return slice;
    }

    /// <summary>
    /// Reads the next tag if it is the one-byte <paramref name="tag"/> (a valid tag, so no check is left for
    /// <see cref="ReadTag"/> to make); anything else stays unread.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryReadTag(byte tag)
    {
        if ((uint)_position < (uint)_buffer.Length && _buffer[_position] == tag)
        {
            _position++;
            return true;
        }

        return false;
    }

    /// <summary>Reads an embedded message as a reader of its own, bounded by its length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ProtoWireReader ReadMessage()
    {
        var slice = ReadLengthDelimited();
        return new ProtoWireReader(slice, BaseOffset + _position - slice.Length);
    }

    /// <summary>Skips a field of an unknown number after its tag was read.</summary>
    public void SkipField(WireType wireType)
    {
        switch (wireType)
        {
            case WireType.Varint:
                ReadVarint();
                break;
            case WireType.Fixed64:
                Skip(8);
                break;
            case WireType.LengthDelimited:
                ReadLengthDelimited();
                break;
            case WireType.Fixed32:
                Skip(4);
                break;
            default:
                throw Malformed("group wire types are not supported", _position);
        }
    }

    /// <summary>Checks the wire type of a field this reader knows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Expect(WireType actual, WireType expected, int field)
    {
        if (actual != expected)
            ThrowWrongWireType(actual, expected, field);
    }

    // The throws of the inlined readers live out of line, so the hot loops they are inlined into stay small.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private readonly void ThrowWrongWireType(WireType actual, WireType expected, int field) =>
        throw Malformed($"field {field} has wire type {(int)actual}, expected {(int)expected}", _position);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private readonly void ThrowInvalidTag(ulong tag, int start) => throw Malformed($"invalid tag {tag}", start);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private readonly void ThrowLengthPastEnd(ulong length, int start) =>
        throw Malformed($"length {length} runs past the end of the enclosing message", start);

    private void Skip(int count)
    {
        if (_buffer.Length - _position < count)
            ThrowFixedPastEnd(count);
        _position += count;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private readonly void ThrowFixedPastEnd(int bytes) => throw Malformed($"fixed{bytes * 8} runs past the end of the message", _position);

    private readonly MalformedInputException Malformed(string message, int position) =>
        new(message, BaseOffset + position);
}
