using System.Buffers;
using System.IO.Pipelines;

namespace SpanRecovery.Otlp;

/// <summary>
/// Reads one trace input of any docs/formats.md format into a sink: detects whole-file compression and framing
/// from the bytes, inflates in a separate pipeline stage, frames records and decodes them. Problems become
/// <see cref="InputProblem"/>s for the sink; nothing escapes but cancellation.
/// </summary>
public static class TraceFileReader
{
    internal static readonly StreamPipeReaderOptions FileReadOptions = new(bufferSize: 1024 * 1024, minimumReadSize: 256 * 1024);

    /// <summary>Reads a file; a missing or unreadable file is an <see cref="InputProblemKind.Unreadable"/> problem.</summary>
    public static async Task<InputDescription> ReadFileAsync<TSink>(
        string path, TSink sink, ReaderOptions options, ReadProgress? progress = null, CancellationToken cancellationToken = default)
        where TSink : ISpanSink
    {
        Stream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            sink.OnInputProblem(new InputProblem(InputProblemKind.Unreadable, 0, e.Message));
            return new InputDescription(null, InputCompression.None);
        }

        await using (file)
        {
            Stream source = progress is null ? file : new ProgressStream(file, progress);
            var reader = PipeReader.Create(source, FileReadOptions);
            return await ReadAsync(reader, sink, options, cancellationToken);
        }
    }

    /// <summary>
    /// Reads raw input bytes from a pipe (any segmentation) into spans and completes it. A sink that parses
    /// records itself, on several cores (<see cref="IRecordBatchSink"/>), is given the records.
    /// </summary>
    public static Task<InputDescription> ReadAsync<TSink>(
        PipeReader input, TSink sink, ReaderOptions options, CancellationToken cancellationToken = default)
        where TSink : ISpanSink =>
        sink is IRecordBatchSink parsesRecords
            ? ReadRecordsAsync(input, parsesRecords, options, cancellationToken)
            : ReadRecordsAsync(input, new SpanParsingSink<TSink>(sink), options, cancellationToken);

    /// <summary>
    /// Reads raw input bytes from a pipe (any segmentation) into whole records and completes it. The sink
    /// learns the input's format (<see cref="IRecordSink.OnFormat"/>) before its first record.
    /// </summary>
    internal static async Task<InputDescription> ReadRecordsAsync<TSink>(
        PipeReader input, TSink sink, ReaderOptions options, CancellationToken cancellationToken = default)
        where TSink : IRecordSink
    {
        var data = input;
        Task<CorruptCompressionException?>? producer = null;
        var compression = InputCompression.None;
        RecordFraming? framing = null;
        try
        {
            var prefix = await PeekAsync(input, cancellationToken);
            compression = FormatSniffer.SniffCompression(prefix);
            if (compression != InputCompression.None)
            {
                (data, producer) = DecompressingPipe.Start(input, compression, cancellationToken);
                prefix = await PeekAsync(data, cancellationToken);
            }

            if (prefix.Length == 0)
            {
                if (producer is not null && await producer is { } nothingRecovered)
                    sink.OnInputProblem(new InputProblem(InputProblemKind.MessageMalformed, 0, nothingRecovered.Message));
                return new InputDescription(null, compression); // an empty file: normal after rotation
            }

            framing = options.Framing ?? FormatSniffer.SniffFraming(prefix, options.MaxRecordBytes);
            if (framing is null)
            {
                sink.OnInputProblem(new InputProblem(InputProblemKind.Unreadable, 0,
                    $"not a known OTLP trace format (starts with {Convert.ToHexString(prefix[..Math.Min(prefix.Length, 4)])})"));
                return new InputDescription(null, compression);
            }

            var payload = RecordPayload.Protobuf;
            if (framing == RecordFraming.LengthPrefixed && prefix.Length > 4)
            {
                if (FormatSniffer.IsZstdFrame(prefix.AsSpan(4)))
                {
                    payload = RecordPayload.ZstdFrame;
                    if (compression == InputCompression.None)
                        compression = InputCompression.ZstdRecord;
                }
                else if (FormatSniffer.IsJsonDocument(prefix.AsSpan(4)))
                {
                    payload = RecordPayload.Json;
                }
            }

            sink.OnFormat(new InputDescription(framing, compression));
            using var decoder = new RecordDecoder(options.MaxRecordBytes);
            switch (framing)
            {
                case RecordFraming.LengthPrefixed:
                    await LengthPrefixedRecordReader.ReadAsync(data, decoder, payload, options.MaxRecordBytes, sink, cancellationToken);
                    break;
                case RecordFraming.Json:
                    await JsonDocumentReader.ReadAsync(data, decoder, options.MaxRecordBytes, sink, cancellationToken);
                    break;
                default:
                    await ReadRawMessageAsync(data, decoder, options.MaxRecordBytes, sink, cancellationToken);
                    break;
            }

            if (producer is not null && await producer is { } damage)
                sink.OnInputProblem(new InputProblem(InputProblemKind.MessageMalformed, damage.DecompressedOffset, damage.Message));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            sink.OnInputProblem(new InputProblem(InputProblemKind.Unreadable, 0, $"read failed: {e.Message}"));
        }
        finally
        {
            // Completing the decompressed pipe first makes the producer stop; only then is its input free.
            await data.CompleteAsync();
            if (producer is not null)
                await producer;
            await input.CompleteAsync();
        }

        return new InputDescription(framing, compression);
    }

    /// <summary>The first bytes of a pipe without consuming them (fewer at the end of input).</summary>
    private static async Task<byte[]> PeekAsync(PipeReader reader, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            if (buffer.Length >= FormatSniffer.PrefixLength || result.IsCompleted)
            {
                var prefix = buffer.Slice(0, Math.Min(buffer.Length, FormatSniffer.PrefixLength)).ToArray();
                reader.AdvanceTo(buffer.Start);
                return prefix;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>A raw message has no framing: the whole input is one record.</summary>
    private static async Task ReadRawMessageAsync<TSink>(
        PipeReader reader, RecordDecoder decoder, long maxRecordBytes, TSink sink, CancellationToken cancellationToken)
        where TSink : IRecordSink
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            if (buffer.Length > maxRecordBytes)
            {
                sink.OnInputProblem(new InputProblem(InputProblemKind.MessageMalformed, 0,
                    $"raw protobuf message larger than the {maxRecordBytes}-byte record limit"));
                reader.AdvanceTo(buffer.End);
                return;
            }

            if (result.IsCompleted)
            {
                decoder.Decode(buffer, 0, RecordPayload.Protobuf, sink);
                reader.AdvanceTo(buffer.End);
                return;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }
}
