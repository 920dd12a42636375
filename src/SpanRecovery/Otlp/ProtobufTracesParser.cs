using System.IO.Hashing;
using System.Runtime.CompilerServices;

namespace SpanRecovery.Otlp;

/// <summary>
/// Walks one serialized <c>TracesData</c> / <c>ExportTraceServiceRequest</c> down to its spans without
/// materialising anything: TracesData.1 → ResourceSpans.2 (or the old 1000) → ScopeSpans.2 → Span. Each
/// span's own fields are checked for framing and wire type; attribute, event and link contents are skipped
/// by length. A span is reported only once it has been read to its end, so a malformed span is never half
/// counted; spans before the problem in the same record have been reported already.
/// </summary>
internal static class ProtobufTracesParser
{
    // One-byte tags (field << 3 | wire type) of the Span fields that ParseSpan reads in order before its switch.
    private const int Bytes = (int)WireType.LengthDelimited, Varint = (int)WireType.Varint, Fixed64 = (int)WireType.Fixed64;
    private const byte TraceIdTag = (TracesSchema.SpanTraceId << 3) | Bytes, SpanIdTag = (TracesSchema.SpanSpanId << 3) | Bytes;
    private const byte TraceStateTag = (TracesSchema.SpanTraceState << 3) | Bytes, ParentSpanIdTag = (TracesSchema.SpanParentSpanId << 3) | Bytes;
    private const byte NameTag = (TracesSchema.SpanName << 3) | Bytes, KindTag = (TracesSchema.SpanKind << 3) | Varint;
    private const byte StartTag = (TracesSchema.SpanStartTimeUnixNano << 3) | Fixed64, EndTag = (TracesSchema.SpanEndTimeUnixNano << 3) | Fixed64;
    private const byte AttributeTag = (TracesSchema.SpanAttributes << 3) | Bytes, DroppedAttributesTag = (TracesSchema.SpanDroppedAttributesCount << 3) | Varint;
    private const byte EventTag = (TracesSchema.SpanEvents << 3) | Bytes, DroppedEventsTag = (TracesSchema.SpanDroppedEventsCount << 3) | Varint;
    private const byte LinkTag = (TracesSchema.SpanLinks << 3) | Bytes, DroppedLinksTag = (TracesSchema.SpanDroppedLinksCount << 3) | Varint;
    private const byte StatusTag = (TracesSchema.SpanStatus << 3) | Bytes;

    /// <summary>Parses one record; throws <see cref="MalformedInputException"/> on bad wire data.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Parse<TSink>(ReadOnlySpan<byte> record, long recordOffset, TSink sink)
        where TSink : ISpanSink
    {
        var reader = new ProtoWireReader(record, 0);
        while (!reader.End)
        {
            var (field, wireType) = reader.ReadTag();
            if (field == TracesSchema.TracesDataResourceSpans)
            {
                reader.Expect(wireType, WireType.LengthDelimited, field);
                ParseResourceSpans(reader.ReadMessage(), recordOffset, sink);
            }
            else
            {
                reader.SkipField(wireType);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ParseResourceSpans<TSink>(ProtoWireReader reader, long recordOffset, TSink sink)
        where TSink : ISpanSink
    {
        while (!reader.End)
        {
            var (field, wireType) = reader.ReadTag();
            if (field is TracesSchema.ResourceSpansScopeSpans or TracesSchema.ResourceSpansLegacyScopeSpans)
            {
                reader.Expect(wireType, WireType.LengthDelimited, field);
                ParseScopeSpans(reader.ReadMessage(), recordOffset, sink);
            }
            else
            {
                reader.SkipField(wireType);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ParseScopeSpans<TSink>(ProtoWireReader reader, long recordOffset, TSink sink)
        where TSink : ISpanSink
    {
        while (!reader.End)
        {
            var (field, wireType) = reader.ReadTag();
            if (field == TracesSchema.ScopeSpansSpans)
            {
                reader.Expect(wireType, WireType.LengthDelimited, field);
                var span = reader.ReadLengthDelimited();
                ParseSpan(span, reader.BaseOffset + reader.Position - span.Length, recordOffset, sink);
            }
            else
            {
                reader.SkipField(wireType);
            }
        }
    }

    /// <summary>
    /// Reports one Span message (its bytes without tag and length); internal so the restore filters report
    /// exactly the <see cref="SpanView"/> this parser gives.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ParseSpan<TSink>(ReadOnlySpan<byte> span, int offsetInRecord, long recordOffset, TSink sink)
        where TSink : ISpanSink
    {
        var reader = new ProtoWireReader(span, offsetInRecord);
        ReadOnlySpan<byte> traceId = default, spanId = default, parentSpanId = default;
        ulong start = 0, end = 0;
        var kind = 0;
        var extras = default(SpanExtras);

        // Serializers write a span's fields in field-number order, each with a one-byte tag: read in that order
        // they take one well-predicted compare each, where the switch below takes an indirect jump per field
        // that the CPU often mispredicts. Whatever comes otherwise (another order, a repeat, an unknown field,
        // a wrong wire type, flags with their two-byte tag) is left to the switch, from where this stopped, and
        // is read exactly as if the switch had read everything.
        if (reader.TryReadTag(TraceIdTag))
            traceId = reader.ReadLengthDelimited();
        if (reader.TryReadTag(SpanIdTag))
            spanId = reader.ReadLengthDelimited();
        if (reader.TryReadTag(TraceStateTag))
            reader.ReadLengthDelimited();
        if (reader.TryReadTag(ParentSpanIdTag))
            parentSpanId = reader.ReadLengthDelimited();
        if (reader.TryReadTag(NameTag))
            reader.ReadLengthDelimited();
        if (reader.TryReadTag(KindTag))
            kind = ReadKind(ref reader);
        if (reader.TryReadTag(StartTag))
            start = reader.ReadFixed64();
        if (reader.TryReadTag(EndTag))
            end = reader.ReadFixed64();
        while (reader.TryReadTag(AttributeTag))
            reader.ReadLengthDelimited();
        if (reader.TryReadTag(DroppedAttributesTag))
            reader.ReadVarint();
        while (reader.TryReadTag(EventTag))
            extras.AddEventTime(ReadEventTime(reader.ReadMessage()));
        if (reader.TryReadTag(DroppedEventsTag))
            reader.ReadVarint();
        while (reader.TryReadTag(LinkTag))
            ReadLink(reader.ReadMessage(), ref extras);
        if (reader.TryReadTag(DroppedLinksTag))
            reader.ReadVarint();
        if (reader.TryReadTag(StatusTag))
            reader.ReadLengthDelimited();

        while (!reader.End)
        {
            var (field, wireType) = reader.ReadTag();
            switch (field)
            {
                case TracesSchema.SpanTraceId:
                    reader.Expect(wireType, WireType.LengthDelimited, field);
                    traceId = reader.ReadLengthDelimited();
                    break;
                case TracesSchema.SpanSpanId:
                    reader.Expect(wireType, WireType.LengthDelimited, field);
                    spanId = reader.ReadLengthDelimited();
                    break;
                case TracesSchema.SpanParentSpanId:
                    reader.Expect(wireType, WireType.LengthDelimited, field);
                    parentSpanId = reader.ReadLengthDelimited();
                    break;
                case TracesSchema.SpanStartTimeUnixNano:
                    reader.Expect(wireType, WireType.Fixed64, field);
                    start = reader.ReadFixed64();
                    break;
                case TracesSchema.SpanEndTimeUnixNano:
                    reader.Expect(wireType, WireType.Fixed64, field);
                    end = reader.ReadFixed64();
                    break;
                case TracesSchema.SpanEvents:
                    reader.Expect(wireType, WireType.LengthDelimited, field);
                    extras.AddEventTime(ReadEventTime(reader.ReadMessage()));
                    break;
                case TracesSchema.SpanLinks:
                    reader.Expect(wireType, WireType.LengthDelimited, field);
                    ReadLink(reader.ReadMessage(), ref extras);
                    break;
                case TracesSchema.SpanTraceState or TracesSchema.SpanName or TracesSchema.SpanAttributes or TracesSchema.SpanStatus:
                    reader.Expect(wireType, WireType.LengthDelimited, field);
                    reader.ReadLengthDelimited();
                    break;
                case TracesSchema.SpanKind:
                    reader.Expect(wireType, WireType.Varint, field);
                    kind = ReadKind(ref reader);
                    break;
                case TracesSchema.SpanDroppedAttributesCount
                    or TracesSchema.SpanDroppedEventsCount or TracesSchema.SpanDroppedLinksCount:
                    reader.Expect(wireType, WireType.Varint, field);
                    reader.ReadVarint();
                    break;
                case TracesSchema.SpanFlags:
                    reader.Expect(wireType, WireType.Fixed32, field);
                    reader.SkipField(wireType);
                    break;
                default:
                    reader.SkipField(wireType);
                    break;
            }
        }

        sink.OnSpan(new SpanView(traceId, spanId, parentSpanId, start, end, XxHash3.HashToUInt64(span), recordOffset, IdEncodingProblems.None, kind, extras));
    }

    /// <summary>The kind as written, saturated: values beyond int are not a kind the rules tell apart anyway.</summary>
    private static int ReadKind(ref ProtoWireReader reader) => (int)Math.Min(reader.ReadVarint(), int.MaxValue);

    /// <summary>An Event's time_unix_nano (0 when absent); its other fields are skipped.</summary>
    private static ulong ReadEventTime(ProtoWireReader reader)
    {
        ulong time = 0;
        while (!reader.End)
        {
            var (field, wireType) = reader.ReadTag();
            if (field == TracesSchema.EventTimeUnixNano)
            {
                reader.Expect(wireType, WireType.Fixed64, field);
                time = reader.ReadFixed64();
            }
            else
            {
                reader.SkipField(wireType);
            }
        }

        return time;
    }

    /// <summary>A Link's IDs into <paramref name="extras"/>; its other fields are skipped.</summary>
    private static void ReadLink(ProtoWireReader reader, ref SpanExtras extras)
    {
        ReadOnlySpan<byte> traceId = default, spanId = default;
        while (!reader.End)
        {
            var (field, wireType) = reader.ReadTag();
            if (field is TracesSchema.LinkTraceId or TracesSchema.LinkSpanId)
            {
                reader.Expect(wireType, WireType.LengthDelimited, field);
                if (field == TracesSchema.LinkTraceId)
                    traceId = reader.ReadLengthDelimited();
                else
                    spanId = reader.ReadLengthDelimited();
            }
            else
            {
                reader.SkipField(wireType);
            }
        }

        extras.AddLink(traceId, spanId);
    }
}
