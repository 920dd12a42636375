using Google.Protobuf;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace SpanRecovery.Tests.OtlpReading;

/// <summary>
/// Random but well-formed TracesData wire bytes, written field by field so that they hold what generated
/// serializers never write: fields in any order, unknown fields of every wire type at every level, repeated
/// scalar fields (the last one wins), old <c>instrumentation_library_spans</c> (1000), IDs of wrong lengths.
/// </summary>
internal sealed class RandomTracesData(int seed)
{
    private static readonly int[] UnknownFieldNumbers = [17, 50, 999, 1001, 4095, 100_000];

    private readonly Random _random = new(seed);

    public byte[] Build()
    {
        var data = new Wire();
        for (int i = 0, n = _random.Next(1, 5); i < n; i++)
        {
            MaybeUnknownFields(data);
            data.MessageField(1, ResourceSpans());
        }

        MaybeUnknownFields(data);
        return data.ToArray();
    }

    private Wire ResourceSpans()
    {
        var rs = new Wire();
        if (Chance(0.7))
            rs.BytesField(1, new Resource { Attributes = { Attribute() }, DroppedAttributesCount = 1 }.ToByteArray());
        MaybeUnknownFields(rs);
        // All field 2 before all field 1000: the reference decoder keeps the two lists apart, so only
        // this order is comparable span for span.
        for (int i = 0, n = _random.Next(0, 4); i < n; i++)
        {
            rs.MessageField(2, ScopeSpans());
            MaybeUnknownFields(rs);
        }

        if (Chance(0.5))
            rs.BytesField(3, "https://opentelemetry.io/schemas/1.21.0"u8);
        for (int i = 0, n = Chance(0.4) ? _random.Next(1, 3) : 0; i < n; i++)
            rs.MessageField(1000, ScopeSpans());
        MaybeUnknownFields(rs);
        return rs;
    }

    private Wire ScopeSpans()
    {
        var ss = new Wire();
        if (Chance(0.7))
            ss.BytesField(1, new InstrumentationScope { Name = "lib", Version = "1.0" }.ToByteArray());
        for (int i = 0, n = _random.Next(0, 6); i < n; i++)
        {
            MaybeUnknownFields(ss);
            ss.MessageField(2, Span());
        }

        if (Chance(0.3))
            ss.BytesField(3, "schema"u8);
        return ss;
    }

    private Wire Span()
    {
        var fields = new List<Action<Wire>>
        {
            w => w.BytesField(1, Id(16)),
            w => w.BytesField(2, Id(8)),
            w => w.Fixed64Field(7, NextUInt64()),
            w => w.Fixed64Field(8, NextUInt64()),
        };
        if (Chance(0.7))
            fields.Add(w => w.BytesField(4, Chance(0.1) ? [] : Id(8)));
        if (Chance(0.2))
            fields.Add(w => w.BytesField(1, Id(16))); // a repeated scalar: the last one wins
        if (Chance(0.2))
            fields.Add(w => w.Fixed64Field(7, NextUInt64()));
        fields.Add(w => w.BytesField(3, "rojo=00f067aa0ba902b7"u8));
        fields.Add(w => w.BytesField(5, "GET /api"u8));
        fields.Add(w => w.VarintField(6, (ulong)_random.Next(0, 6)));
        for (var i = _random.Next(0, 3); i > 0; i--)
            fields.Add(w => w.BytesField(9, Attribute().ToByteArray()));
        fields.Add(w => w.VarintField(10, (ulong)_random.Next(0, 1000)));
        if (Chance(0.5))
            fields.Add(w => w.BytesField(11, new Span.Types.Event { TimeUnixNano = NextUInt64(), Name = "ev", Attributes = { Attribute() } }.ToByteArray()));
        if (Chance(0.5))
            fields.Add(w => w.BytesField(13, new Span.Types.Link { TraceId = ByteString.CopyFrom(Id(16)), SpanId = ByteString.CopyFrom(Id(8)), Flags = 1 }.ToByteArray()));
        fields.Add(w => w.VarintField(12, 0));
        fields.Add(w => w.VarintField(14, 3));
        fields.Add(w => w.BytesField(15, new Status { Code = Status.Types.StatusCode.Error, Message = "boom" }.ToByteArray()));
        fields.Add(w => w.Fixed32Field(16, 0x101));
        for (var i = _random.Next(0, 3); i > 0; i--)
            fields.Add(w => UnknownField(w));

        // Fields in any order, except that repeated scalars keep their relative order (last one wins).
        var span = new Wire();
        foreach (var write in fields.Take(4))
            write(span);
        foreach (var write in fields.Skip(4).OrderBy(_ => _random.Next()))
            write(span);
        return span;
    }

    private static KeyValue Attribute() => new() { Key = "http.method", Value = new AnyValue { StringValue = "GET" } };

    private void MaybeUnknownFields(Wire message)
    {
        while (Chance(0.25))
            UnknownField(message);
    }

    private void UnknownField(Wire message)
    {
        var field = UnknownFieldNumbers[_random.Next(UnknownFieldNumbers.Length)];
        switch (_random.Next(4))
        {
            case 0:
                message.VarintField(field, NextUInt64() >> _random.Next(64));
                break;
            case 1:
                message.Fixed64Field(field, NextUInt64());
                break;
            case 2:
                message.BytesField(field, Id(_random.Next(0, 40)));
                break;
            default:
                message.Fixed32Field(field, (uint)_random.Next());
                break;
        }
    }

    /// <summary>Mostly the right length; sometimes empty, short, long or all zero.</summary>
    private byte[] Id(int length)
    {
        var actual = _random.Next(10) switch
        {
            0 => 0,
            1 => length / 2,
            2 => length + 1,
            _ => length,
        };
        var id = new byte[actual];
        if (_random.Next(20) != 0)
            _random.NextBytes(id);
        return id;
    }

    private ulong NextUInt64() => _random.Next(4) == 0 ? (ulong)_random.NextInt64() * 2 + (ulong)_random.Next(2) : TestInputs.BaseTime + (ulong)_random.NextInt64(1L << 40);

    private bool Chance(double p) => _random.NextDouble() < p;
}
