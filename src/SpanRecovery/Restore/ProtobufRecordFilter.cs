using System.Buffers;
using SpanRecovery.Otlp;

namespace SpanRecovery.Restore;

/// <summary>
/// Rewrites one protobuf <c>TracesData</c> / <c>ExportTraceServiceRequest</c> without the spans a predicate
/// rejects, for point-in-time restore (docs/restore.md: no span lost, none invented, resource and scope context
/// kept). Kept spans and every other field are copied byte for byte, so a kept span's
/// <see cref="SpanView.ContentHash"/> is unchanged; only the lengths of the messages that lost spans are
/// re-encoded. A ScopeSpans (field 2, or the old 1000) that lost all its spans is left out, and so is a
/// ResourceSpans that lost all its spans; messages that never held a span are kept as they are.
/// </summary>
internal static class ProtobufRecordFilter
{
    /// <summary>
    /// Writes <paramref name="record"/> without the rejected spans to <paramref name="output"/> and reports each
    /// kept span to <paramref name="keptSink"/>. Writes the input unchanged when nothing is dropped and nothing
    /// at all when every span is dropped. Throws <see cref="MalformedInputException"/> exactly where
    /// <see cref="ProtobufTracesParser"/> would, before writing or reporting anything.
    /// </summary>
    public static RecordFilterResult Filter<TSink>(ReadOnlySpan<byte> record, long recordOffset, SpanPredicate keep, IBufferWriter<byte> output, TSink keptSink)
        where TSink : ISpanSink
    {
        ArgumentNullException.ThrowIfNull(output);
        using var verdicts = new SpanVerdicts(keep);
        ProtobufTracesParser.Parse(record, recordOffset, verdicts);
        var result = verdicts.Result;
        if (result.Dropped == 0)
        {
            output.Write(record);
            ProtobufTracesParser.Parse(record, recordOffset, keptSink);
        }
        else if (!result.LostAllSpans)
        {
            new ProtobufSplicer<TSink>(verdicts, output, keptSink, recordOffset).Walk(record, MessageKind.TracesData, emit: true);
        }

        return result;
    }

    /// <summary>The messages on the way down to the spans, outermost first.</summary>
    private enum MessageKind
    {
        TracesData,
        ResourceSpans,
        ScopeSpans,
        Span,
    }

    /// <summary>The kind of message a field holds on the way to the spans; null for any other field.</summary>
    private static MessageKind? ChildAt(MessageKind kind, int field) => kind switch
    {
        MessageKind.TracesData when field == TracesSchema.TracesDataResourceSpans => MessageKind.ResourceSpans,
        MessageKind.ResourceSpans when field is TracesSchema.ResourceSpansScopeSpans or TracesSchema.ResourceSpansLegacyScopeSpans => MessageKind.ScopeSpans,
        MessageKind.ScopeSpans when field == TracesSchema.ScopeSpansSpans => MessageKind.Span,
        _ => null,
    };

    /// <summary>
    /// Walks an already validated record in <see cref="ProtobufTracesParser"/>'s order, so the n-th span met is
    /// the n-th verdict. A walk either measures a message's filtered length (needed before its enclosing length
    /// can be written) or emits it; the verdict cursor is rewound between the two.
    /// </summary>
    private ref struct ProtobufSplicer<TSink>(SpanVerdicts verdicts, IBufferWriter<byte> output, TSink keptSink, long recordOffset)
        where TSink : ISpanSink
    {
        private int _nextSpan;

        /// <summary>Walks the fields of one message; returns its spans' fate and its filtered length.</summary>
        public (RecordFilterResult Spans, int Length) Walk(ReadOnlySpan<byte> message, MessageKind kind, bool emit)
        {
            var reader = new ProtoWireReader(message, 0);
            RecordFilterResult spans = default;
            var length = 0;
            while (!reader.End)
            {
                var fieldStart = reader.Position;
                var (field, wireType) = reader.ReadTag();
                var tagLength = reader.Position - fieldStart;
                if (ChildAt(kind, field) is { } child)
                {
                    var content = reader.ReadLengthDelimited();
                    var whole = message[fieldStart..reader.Position];
                    var (childSpans, childLength) = child == MessageKind.Span
                        ? Span(whole, content, emit)
                        : Container(whole, tagLength, content, child, emit);
                    spans += childSpans;
                    length += childLength;
                }
                else
                {
                    reader.SkipField(wireType);
                    var whole = message[fieldStart..reader.Position];
                    length += whole.Length;
                    if (emit)
                        output.Write(whole);
                }
            }

            return (spans, length);
        }

        /// <summary>One span field: copied verbatim and reported if it stays, gone if not.</summary>
        private (RecordFilterResult Spans, int Length) Span(ReadOnlySpan<byte> whole, ReadOnlySpan<byte> content, bool emit)
        {
            if (!verdicts.Keeps(_nextSpan++))
                return (new RecordFilterResult(0, 1), 0);
            if (emit)
            {
                output.Write(whole);
                // The offset only places error messages, and this record has been validated already.
                ProtobufTracesParser.ParseSpan(content, 0, recordOffset, keptSink);
            }

            return (new RecordFilterResult(1, 0), whole.Length);
        }

        /// <summary>
        /// A ResourceSpans or ScopeSpans field: left out if it lost all its spans, its header copied verbatim if
        /// it lost none (so untouched parts stay byte-identical), else its length re-encoded.
        /// </summary>
        private (RecordFilterResult Spans, int Length) Container(ReadOnlySpan<byte> whole, int tagLength, ReadOnlySpan<byte> content, MessageKind kind, bool emit)
        {
            var firstSpan = _nextSpan;
            var (spans, length) = Walk(content, kind, emit: false);
            if (spans.LostAllSpans)
                return (spans, 0);
            var unchanged = spans.Dropped == 0;
            var headerLength = unchanged ? whole.Length - content.Length : tagLength + ProtoWireWriter.VarintSize((uint)length);
            if (emit)
            {
                output.Write(whole[..(unchanged ? headerLength : tagLength)]);
                if (!unchanged)
                    ProtoWireWriter.WriteVarint(output, (uint)length);
                _nextSpan = firstSpan;
                Walk(content, kind, emit: true);
            }

            return (spans, headerLength + length);
        }
    }
}
