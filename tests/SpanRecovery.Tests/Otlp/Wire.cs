namespace SpanRecovery.Tests.OtlpReading;

/// <summary>
/// Writes protobuf wire bytes by hand, so tests can build exactly the (mal)formed bytes they mean: wrong wire
/// types, overlong varints, lengths that lie, repeated scalar fields, unknown fields.
/// </summary>
internal sealed class Wire
{
    public const int Varint = 0;
    public const int Fixed64 = 1;
    public const int LengthDelimited = 2;
    public const int StartGroup = 3;
    public const int EndGroup = 4;
    public const int Fixed32 = 5;

    private readonly List<byte> _bytes = [];

    public int Length => _bytes.Count;

    public Wire Tag(int field, int wireType) => RawVarint(((ulong)field << 3) | (uint)wireType);

    public Wire RawVarint(ulong value)
    {
        while (value >= 0x80)
        {
            _bytes.Add((byte)(value | 0x80));
            value >>= 7;
        }

        _bytes.Add((byte)value);
        return this;
    }

    public Wire Raw(params ReadOnlySpan<byte> bytes)
    {
        _bytes.AddRange(bytes);
        return this;
    }

    public Wire VarintField(int field, ulong value) => Tag(field, Varint).RawVarint(value);

    public Wire Fixed64Field(int field, ulong value) => Tag(field, Fixed64).Raw(BitConverter.GetBytes(value));

    public Wire Fixed32Field(int field, uint value) => Tag(field, Fixed32).Raw(BitConverter.GetBytes(value));

    public Wire BytesField(int field, ReadOnlySpan<byte> value) => Tag(field, LengthDelimited).RawVarint((ulong)value.Length).Raw(value);

    public Wire MessageField(int field, Wire message) => BytesField(field, message.ToArray());

    /// <summary>A length-delimited field whose length claims <paramref name="extra"/> more bytes than follow.</summary>
    public Wire LyingMessageField(int field, Wire message, int extra) =>
        Tag(field, LengthDelimited).RawVarint((ulong)(message.Length + extra)).Raw(message.ToArray());

    public byte[] ToArray() => [.. _bytes];

    /// <summary>A Span with the fields the reader extracts, plus a name so it has some body.</summary>
    public static Wire Span(byte[] traceId, byte[] spanId, byte[]? parentSpanId, ulong start, ulong end)
    {
        var span = new Wire().BytesField(1, traceId).BytesField(2, spanId);
        if (parentSpanId is not null)
            span.BytesField(4, parentSpanId);
        return span.BytesField(5, "op"u8).VarintField(6, 2).Fixed64Field(7, start).Fixed64Field(8, end);
    }

    /// <summary>TracesData { ResourceSpans { ScopeSpans { spans… } } } around ready-made span messages.</summary>
    public static Wire TracesData(params Wire[] spans)
    {
        var scope = new Wire();
        foreach (var span in spans)
            scope.MessageField(2, span);
        return new Wire().MessageField(1, new Wire().MessageField(2, scope));
    }
}
