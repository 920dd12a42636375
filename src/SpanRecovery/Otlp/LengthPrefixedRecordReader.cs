using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;

namespace SpanRecovery.Otlp;

/// <summary>
/// Frames repeated [4-byte big-endian length][record] from a pipe. A record is handed on once it is
/// complete in the buffer (zero-copy when it sits in one segment); the pipe is advanced past whole records
/// only, with everything examined, so a partial record is never lost and never re-scanned. A length over the
/// limit is reported and the record skipped without buffering it; a record cut off by the end of input is
/// <c>frame-truncated</c>. A sink that parses records on several cores (<see cref="IRecordBatchSink"/>) gets
/// a buffer's records (unless each is a zstd frame) together, before the pipe is advanced past them.
/// </summary>
internal static class LengthPrefixedRecordReader
{
    public static async Task ReadAsync<TSink>(
        PipeReader reader, RecordDecoder decoder, RecordPayload payload, long maxRecordBytes, TSink sink, CancellationToken cancellationToken)
        where TSink : IRecordSink
    {
        long position = 0; // offset of the buffer's start in the input
        long skipping = 0; // bytes of an oversized record still to skip
        var batchSink = payload is RecordPayload.Protobuf or RecordPayload.Json ? sink as IRecordBatchSink : null;
        var encoding = payload == RecordPayload.Json ? RecordEncoding.Json : RecordEncoding.Protobuf;
        var batch = new List<FramedRecord>();
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            if (skipping > 0)
            {
                var skipped = Math.Min(skipping, buffer.Length);
                buffer = buffer.Slice(skipped);
                position += skipped;
                skipping -= skipped;
            }

            while (skipping == 0 && buffer.Length >= 4)
            {
                var length = ReadLength(buffer);
                if (length > maxRecordBytes)
                {
                    HandOver(batchSink, batch, encoding);
                    sink.OnInputProblem(new InputProblem(InputProblemKind.MessageMalformed, position,
                        $"record at offset {position}: length {length} exceeds the {maxRecordBytes}-byte record limit; skipped"));
                    skipping = 4L + length; // long: a length near 2^32 must not wrap to a tiny skip
                    var skipped = Math.Min(skipping, buffer.Length);
                    buffer = buffer.Slice(skipped);
                    position += skipped;
                    skipping -= skipped;
                    continue; // records after the skipped one may be in this buffer already
                }

                if (buffer.Length - 4 < length)
                    break;
                if (batchSink is null)
                    decoder.Decode(buffer.Slice(4, length), position, payload, sink);
                else
                    batch.Add(new FramedRecord(buffer.Slice(4, length), position));
                buffer = buffer.Slice(4 + length);
                position += 4 + length;
            }

            HandOver(batchSink, batch, encoding); // before the pipe may release the records' memory

            if (result.IsCompleted)
            {
                if (!buffer.IsEmpty && skipping == 0)
                {
                    var message = buffer.Length < 4
                        ? $"record at offset {position}: input ends inside the 4-byte length"
                        : $"record at offset {position}: length {ReadLength(buffer)} runs past the end of input ({buffer.Length - 4} bytes left)";
                    sink.OnInputProblem(new InputProblem(InputProblemKind.FrameTruncated, position, message));
                }

                reader.AdvanceTo(buffer.End);
                return;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>Hands over the records collected so far; framed by their lengths, none is tentative, so all are taken.</summary>
    private static void HandOver(IRecordBatchSink? sink, List<FramedRecord> batch, RecordEncoding encoding)
    {
        if (sink is null || batch.Count == 0)
            return;
        sink.OnRecords(batch, encoding);
        batch.Clear();
    }

    private static uint ReadLength(in ReadOnlySequence<byte> buffer)
    {
        if (buffer.FirstSpan.Length >= 4)
            return BinaryPrimitives.ReadUInt32BigEndian(buffer.FirstSpan);
        Span<byte> length = stackalloc byte[4];
        buffer.Slice(0, 4).CopyTo(length);
        return BinaryPrimitives.ReadUInt32BigEndian(length);
    }
}
