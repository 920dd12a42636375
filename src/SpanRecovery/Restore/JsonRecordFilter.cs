using System.Buffers;
using System.Text.Json;
using SpanRecovery.Otlp;

namespace SpanRecovery.Restore;

/// <summary>
/// Rewrites one OTLP/JSON <c>TracesData</c> / <c>ExportTraceServiceRequest</c> document without the spans a
/// predicate rejects, for point-in-time restore (docs/restore.md). Splices at the text level: every kept span object
/// is copied byte for byte (its <see cref="SpanView.ContentHash"/> is a hash of that text), and so is
/// everything outside the arrays that lost elements; only those arrays are rewritten, with their kept elements
/// joined by commas. A scopeSpans (or old instrumentationLibrarySpans) entry that lost all its spans is left
/// out, and so is a resourceSpans entry that lost all its spans; entries that never held a span stay.
/// </summary>
internal static class JsonRecordFilter
{
    /// <summary>
    /// Writes <paramref name="record"/> without the rejected spans to <paramref name="output"/> and reports each
    /// kept span to <paramref name="keptSink"/>. Writes the input unchanged when nothing is dropped and nothing
    /// at all when every span is dropped. Throws <see cref="MalformedInputException"/> exactly where
    /// <see cref="JsonTracesParser"/> would, before writing or reporting anything.
    /// </summary>
    public static RecordFilterResult Filter<TSink>(ReadOnlySpan<byte> record, long recordOffset, SpanPredicate keep, IBufferWriter<byte> output, TSink keptSink)
        where TSink : ISpanSink
    {
        ArgumentNullException.ThrowIfNull(output);
        using var verdicts = new SpanVerdicts(keep);
        JsonTracesParser.Parse(record, recordOffset, verdicts);
        var result = verdicts.Result;
        if (result.Dropped == 0)
        {
            output.Write(record);
            JsonTracesParser.Parse(record, recordOffset, keptSink);
        }
        else if (!result.LostAllSpans)
        {
            new JsonSplicer<TSink>(record, verdicts, output, keptSink, recordOffset).Emit();
        }

        return result;
    }

    /// <summary>The objects on the way down to the spans, outermost first: each holds arrays of the next.</summary>
    private enum Level
    {
        TracesData,
        ResourceSpans,
        ScopeSpans,
        Span,
    }

    /// <summary>Whether the current property holds the array of the next level's objects, by the parser's names.</summary>
    private static bool HoldsChildren(Level level, ref Utf8JsonReader reader) => level switch
    {
        Level.TracesData => JsonTracesParser.IsResourceSpansName(ref reader),
        Level.ResourceSpans => JsonTracesParser.IsScopeSpansName(ref reader),
        _ => JsonTracesParser.IsSpansName(ref reader),
    };

    /// <summary>
    /// Walks an already validated document in <see cref="JsonTracesParser"/>'s order, so the n-th span met is
    /// the n-th verdict, copying the text through to <c>output</c> up to each array that lost elements. A walk
    /// over a copy of the reader, which writes nothing, first tells what an array or element will lose; the
    /// verdict cursor is rewound after it.
    /// </summary>
    private ref struct JsonSplicer<TSink>(ReadOnlySpan<byte> document, SpanVerdicts verdicts, IBufferWriter<byte> output, TSink keptSink, long recordOffset)
        where TSink : ISpanSink
    {
        private readonly ReadOnlySpan<byte> _document = document;
        private int _nextSpan;
        private int _copiedUpTo;

        public void Emit()
        {
            var reader = new Utf8JsonReader(_document, JsonTracesParser.ReaderOptions);
            reader.Read();
            Walk(ref reader, Level.TracesData, emit: true);
            CopyUpTo(_document.Length);
        }

        /// <summary>Walks the object (or span) the reader is at, through its end.</summary>
        private RecordFilterResult Walk(ref Utf8JsonReader reader, Level level, bool emit)
        {
            if (level == Level.Span)
                return Span(ref reader, emit);
            RecordFilterResult spans = default;
            while (JsonTracesParser.NextProperty(ref reader))
            {
                if (!HoldsChildren(level, ref reader))
                    reader.Skip();
                else if (reader.Read() && reader.TokenType == JsonTokenType.StartArray)
                    spans += Array(ref reader, level + 1, emit);
            }

            return spans;
        }

        /// <summary>Walks the array the reader is at; rewrites it, without the elements that lost all their spans, if any span in it is dropped.</summary>
        private RecordFilterResult Array(ref Utf8JsonReader reader, Level elementLevel, bool emit)
        {
            var rewrite = emit && Probe(reader, elementLevel, isArray: true).Dropped > 0;
            if (rewrite)
            {
                CopyUpTo((int)reader.TokenStartIndex);
                output.Write("["u8);
            }

            RecordFilterResult spans = default;
            var written = 0;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                var element = emit ? Probe(reader, elementLevel, isArray: false) : default;
                if (!emit || element.LostAllSpans)
                {
                    spans += Walk(ref reader, elementLevel, emit: false);
                    continue;
                }

                if (rewrite)
                {
                    if (written++ > 0)
                        output.Write(","u8);
                    _copiedUpTo = (int)reader.TokenStartIndex;
                }

                spans += Walk(ref reader, elementLevel, emit: true);
                if (rewrite)
                    CopyUpTo((int)reader.BytesConsumed);
            }

            if (rewrite)
            {
                output.Write("]"u8);
                _copiedUpTo = (int)reader.BytesConsumed;
            }

            return spans;
        }

        /// <summary>What the array or element the reader is at will lose, without moving the reader or the verdict cursor.</summary>
        private RecordFilterResult Probe(Utf8JsonReader reader, Level elementLevel, bool isArray)
        {
            var firstSpan = _nextSpan;
            var spans = isArray ? Array(ref reader, elementLevel, emit: false) : Walk(ref reader, elementLevel, emit: false);
            _nextSpan = firstSpan;
            return spans;
        }

        /// <summary>One span object: reported if it stays (its text is copied with its enclosing array), skipped if not.</summary>
        private RecordFilterResult Span(ref Utf8JsonReader reader, bool emit)
        {
            var stays = verdicts.Keeps(_nextSpan++);
            if (stays && emit)
                JsonTracesParser.ParseSpan(ref reader, _document, recordOffset, keptSink);
            else
                reader.Skip();
            return stays ? new RecordFilterResult(1, 0) : new RecordFilterResult(0, 1);
        }

        private void CopyUpTo(int end)
        {
            output.Write(_document[_copiedUpTo..end]);
            _copiedUpTo = end;
        }
    }
}
