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
/// (<see cref="IRecordBatchSink"/>) gets a buffer's documents together, before the pipe is advanced past them.
/// </summary>
internal static class JsonDocumentReader
{
    public static async Task ReadAsync<TSink>(
        PipeReader reader, RecordDecoder decoder, long maxRecordBytes, TSink sink, CancellationToken cancellationToken)
        where TSink : IRecordSink
    {
        var scan = new DocumentScan();
        long position = 0; // offset of the buffer's start in the input
        var resync = false;
        var batchSink = sink as IRecordBatchSink;
        var batch = new List<FramedRecord>();
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            while (true)
            {
                if (resync)
                {
                    var next = FindNextDocumentStart(buffer);
                    var drop = next ?? Math.Max(0, buffer.Length - 1); // keep a trailing '\n' for the next read
                    buffer = buffer.Slice(drop);
                    position += drop;
                    if (next is null)
                        break;
                    resync = false;
                }

                var blanks = CountLeadingBlanks(buffer);
                buffer = buffer.Slice(blanks);
                position += blanks;
                if (buffer.IsEmpty)
                    break;
                if (buffer.FirstSpan[0] != (byte)'{')
                {
                    Report(sink, batchSink, batch, position, "expected a JSON object ('{')");
                    resync = true;
                    continue;
                }

                var length = scan.FindEnd(buffer, result.IsCompleted, out var error);
                // The size limit holds whether the document arrived whole or in pieces.
                if (error is not null || (length ?? scan.Scanned) > maxRecordBytes)
                {
                    // The finding's offset is the document's (docs/report-json.md: the record's offset); where the
                    // tokenizer stopped goes into the message.
                    Report(sink, batchSink, batch, position, error is null
                        ? $"JSON document larger than the {maxRecordBytes}-byte record limit"
                        : $"{error} (byte {scan.Scanned} of the document)");
                    scan = default;
                    resync = true;
                    continue;
                }

                if (length is null)
                {
                    if (result.IsCompleted)
                    {
                        Report(sink, batchSink, batch, position, "JSON document truncated at the end of input");
                        buffer = buffer.Slice(buffer.End);
                    }

                    break;
                }

                if (batchSink is null)
                    decoder.Decode(buffer.Slice(0, length.Value), position, RecordPayload.Json, sink);
                else
                    batch.Add(new FramedRecord(buffer.Slice(0, length.Value), position));
                buffer = buffer.Slice(length.Value);
                position += length.Value;
                scan = default;
            }

            RecordBatches.HandOver(batchSink, batch, RecordEncoding.Json); // before the pipe may release the documents' memory
            if (result.IsCompleted)
            {
                reader.AdvanceTo(buffer.End);
                return;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>A problem at <paramref name="offset"/>, after the documents before it.</summary>
    private static void Report<TSink>(TSink sink, IRecordBatchSink? batchSink, List<FramedRecord> batch, long offset, string message)
        where TSink : IRecordSink
    {
        RecordBatches.HandOver(batchSink, batch, RecordEncoding.Json);
        sink.OnInputProblem(new InputProblem(InputProblemKind.MessageMalformed, offset, $"JSON at offset {offset}: {message}"));
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

        /// <summary>The document's length once its closing brace has been read; null while incomplete.</summary>
        public long? FindEnd(in ReadOnlySequence<byte> buffer, bool isFinalBlock, out string? error)
        {
            error = null;
            var json = new Utf8JsonReader(buffer.Slice(Scanned), isFinalBlock, _state);
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
                error = $"invalid JSON: {e.Message}";
                return null;
            }

            Scanned += json.BytesConsumed;
            _state = json.CurrentState;
            return null;
        }
    }
}
