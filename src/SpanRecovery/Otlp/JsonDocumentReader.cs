using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;

namespace SpanRecovery.Otlp;

/// <summary>
/// Frames OTLP/JSON documents from a pipe: one per line (JSON lines) or pretty-printed back to back. The end
/// of a document is found by tokenizing it with <see cref="Utf8JsonReader"/>; the tokenizer state is kept
/// across reads, so a large document arriving in pieces is scanned once, not once per piece. After bad JSON
/// the reader resynchronises at the next line that starts with '{' (the next line of a JSON-lines file, the
/// next document of concatenated pretty ones). A sink that parses records on several cores
/// (<see cref="IRecordBatchSink"/>) gets a buffer's documents together, before the pipe is advanced past them;
/// it also gets each whole line that starts with '{' untokenized, as a tentative document, since its parser
/// tokenizes it anyway: a line that is not exactly one valid document (a pretty document's first line, bad
/// JSON) it hands back, and the line is then framed by tokenizing, as every document is for other sinks.
/// </summary>
internal static class JsonDocumentReader
{
    public static async Task ReadAsync<TSink>(
        PipeReader reader, RecordDecoder decoder, long maxRecordBytes, TSink sink, CancellationToken cancellationToken)
        where TSink : IRecordSink
    {
        var framing = new Framing<TSink>(decoder, maxRecordBytes, sink);
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            framing.Frame(ref buffer, result.IsCompleted);
            if (result.IsCompleted)
            {
                reader.AdvanceTo(buffer.End);
                return;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>The framing's state across reads of the pipe.</summary>
    private sealed class Framing<TSink>(RecordDecoder decoder, long maxRecordBytes, TSink sink)
        where TSink : IRecordSink
    {
        private readonly IRecordBatchSink? _batchSink = sink as IRecordBatchSink;
        private readonly List<FramedRecord> _batch = [];
        private ReadOnlySequence<byte> _read; // the whole buffer of this read, to go back into
        private DocumentScan _scan;
        private long _position; // offset of the buffer's start in the input
        private bool _resync;
        private bool _tokenizeNext;

        /// <summary>
        /// Frames every whole document at the front of <paramref name="buffer"/> and hands them over; what is
        /// left needs more input.
        /// </summary>
        public void Frame(ref ReadOnlySequence<byte> buffer, bool isCompleted)
        {
            _read = buffer;
            while (FrameNext(ref buffer, isCompleted) || WentBack(ref buffer))
            {
            }
        }

        /// <summary>Frames (or skips) what is at the front; false when that needs more input.</summary>
        private bool FrameNext(ref ReadOnlySequence<byte> buffer, bool isCompleted)
        {
            if (_resync)
            {
                var next = FindNextDocumentStart(buffer);
                var drop = next ?? Math.Max(0, buffer.Length - 1); // keep a trailing '\n' for the next read
                buffer = buffer.Slice(drop);
                _position += drop;
                if (next is null)
                    return false;
                _resync = false;
            }

            var blanks = CountLeadingBlanks(buffer);
            buffer = buffer.Slice(blanks);
            _position += blanks;
            if (buffer.IsEmpty)
                return false;
            if (buffer.FirstSpan[0] != (byte)'{')
            {
                _resync = Report(ref buffer, "expected a JSON object ('{')");
                return true;
            }

            if (_batchSink is not null && !_tokenizeNext && _scan.Scanned == 0 && LineLength(buffer) is { } line && line <= maxRecordBytes)
            {
                _batch.Add(new FramedRecord(buffer.Slice(0, line), _position, Tentative: true));
                buffer = buffer.Slice(line);
                _position += line;
                return true;
            }

            _tokenizeNext = false;
            var length = _scan.FindEnd(buffer, isCompleted, maxRecordBytes, out var error);
            if (error is not null || length > maxRecordBytes || (length is null && buffer.Length > maxRecordBytes))
            {
                // The finding's offset is the document's (docs/report-json.md: the record's offset); where the
                // tokenizer stopped goes into the message.
                var message = error is null
                    ? $"JSON document larger than the {maxRecordBytes}-byte record limit"
                    : $"{error} (byte {_scan.Scanned} of the document)";
                _scan = default;
                _resync = Report(ref buffer, message);
                return true;
            }

            if (length is null)
            {
                if (!isCompleted)
                    return false;
                if (!Report(ref buffer, "JSON document truncated at the end of input"))
                    return true;
                buffer = buffer.Slice(buffer.End);
                return false;
            }

            if (_batchSink is null)
                decoder.Decode(buffer.Slice(0, length.Value), _position, RecordPayload.Json, sink);
            else
                _batch.Add(new FramedRecord(buffer.Slice(0, length.Value), _position));
            buffer = buffer.Slice(length.Value);
            _position += length.Value;
            _scan = default;
            return true;
        }

        /// <summary>
        /// A problem with what is at the front, after the documents before it — unless handing those over
        /// took framing back to an earlier line (then nothing is reported: false).
        /// </summary>
        private bool Report(ref ReadOnlySequence<byte> buffer, string message)
        {
            if (WentBack(ref buffer))
                return false;
            sink.OnInputProblem(new InputProblem(InputProblemKind.MessageMalformed, _position, $"JSON at offset {_position}: {message}"));
            return true;
        }

        /// <summary>
        /// Hands the documents framed so far over. When the sink finds a tentative line is not exactly one valid
        /// document, framing goes back to that line, to frame it by tokenizing (true).
        /// </summary>
        private bool WentBack(ref ReadOnlySequence<byte> buffer)
        {
            if (_batch.Count == 0)
                return false;
            var taken = _batchSink!.OnRecords(_batch, RecordEncoding.Json);
            if (taken == _batch.Count)
            {
                _batch.Clear();
                return false;
            }

            var back = _batch[taken];
            buffer = _read.Slice(back.Bytes.Start, buffer.End);
            _position = back.Offset;
            _batch.Clear();
            (_scan, _resync, _tokenizeNext) = (default, false, true);
            return true;
        }
    }

    /// <summary>The length of the first line, its '\n' included; null while the line is incomplete.</summary>
    private static long? LineLength(in ReadOnlySequence<byte> buffer)
    {
        var end = buffer.FirstSpan.IndexOf((byte)'\n');
        if (end >= 0)
            return end + 1;
        return buffer.PositionOf((byte)'\n') is { } position ? buffer.Slice(0, position).Length + 1 : null;
    }

    private static long CountLeadingBlanks(in ReadOnlySequence<byte> buffer)
    {
        long count = 0;
        foreach (var segment in buffer)
        {
            var index = segment.Span.IndexOfAnyExcept(FormatSniffer.JsonBlanks);
            if (index >= 0)
                return count + index;
            count += segment.Length;
        }

        return count;
    }

    /// <summary>
    /// Offset of the '{' of the next "\n{", or null if not buffered yet. The search starts at byte 0: that is
    /// either the bad document's first byte (never '\n', blanks were skipped) or the '\n' kept from the
    /// previous read, which must count when the '{' arrives in the next read.
    /// </summary>
    private static long? FindNextDocumentStart(in ReadOnlySequence<byte> buffer)
    {
        var reader = new SequenceReader<byte>(buffer);
        while (reader.TryAdvanceTo((byte)'\n'))
        {
            if (!reader.TryPeek(out var next))
                return null;
            if (next == (byte)'{')
                return reader.Consumed;
        }

        return null;
    }

    /// <summary>Tokenizer progress through the document at the front of the buffer.</summary>
    private struct DocumentScan
    {
        private JsonReaderState _state;

        /// <summary>Bytes of the document tokenized so far.</summary>
        public long Scanned { get; private set; }

        /// <summary>
        /// The document's length once its closing brace has been read; null while incomplete. Only its first
        /// <paramref name="maxBytes"/> + 1 bytes are read: whether the document is too large or bad JSON then
        /// does not depend on how its bytes arrived (whole, or in pieces).
        /// </summary>
        public long? FindEnd(in ReadOnlySequence<byte> buffer, bool isFinalBlock, long maxBytes, out string? error)
        {
            error = null;
            var window = buffer.Slice(0, Math.Min(buffer.Length, maxBytes + 1));
            var json = new Utf8JsonReader(window.Slice(Scanned), isFinalBlock && window.Length == buffer.Length, _state);
            try
            {
                while (json.Read())
                {
                    if (json.CurrentDepth == 0 && json.TokenType == JsonTokenType.EndObject)
                        return Scanned + json.BytesConsumed;
                }
            }
            catch (JsonException e)
            {
                Scanned += json.BytesConsumed;
                error = JsonTracesParser.InvalidJson(e);
                return null;
            }

            Scanned += json.BytesConsumed;
            _state = json.CurrentState;
            return null;
        }
    }
}
