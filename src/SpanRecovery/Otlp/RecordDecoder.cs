using SpanRecovery.Otlp.Zstd;
using System.Buffers;
using System.Runtime.CompilerServices;

namespace SpanRecovery.Otlp;

/// <summary>What one record's payload holds.</summary>
internal enum RecordPayload
{
    Protobuf,
    Json,

    /// <summary>One zstd frame holding a protobuf or JSON record (told apart after decompression).</summary>
    ZstdFrame,
}

/// <summary>
/// Unwraps one framed record (joins it when it straddles pipe segments, inflates a zstd record) and hands it
/// to a record sink, turning a malformed record into a
/// <c>message-malformed</c> problem so the framing can carry on with the next record. Owns the reusable
/// buffers (a record that straddles pipe segments, a decompressed zstd record), so memory is bounded by the
/// largest record and steady state allocates nothing.
/// </summary>
internal sealed class RecordDecoder : IDisposable
{
    private readonly long _maxRecordBytes;
    private ZstdFrameDecoder? _zstd;
    private byte[] _joined = [];
    private byte[] _decompressed = [];

    public RecordDecoder(long maxRecordBytes) => _maxRecordBytes = maxRecordBytes;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Decode<TSink>(in ReadOnlySequence<byte> record, long offset, RecordPayload payload, TSink sink)
        where TSink : IRecordSink
    {
        var bytes = record.IsSingleSegment ? record.FirstSpan : Join(record);
        try
        {
            switch (payload)
            {
                case RecordPayload.Protobuf:
                    sink.OnRecord(bytes, offset, RecordEncoding.Protobuf);
                    break;
                case RecordPayload.Json:
                    sink.OnRecord(bytes, offset, RecordEncoding.Json);
                    break;
                default:
                    var inner = Decompress(bytes);
                    sink.OnRecord(inner, offset, FormatSniffer.IsJsonDocument(inner) ? RecordEncoding.Json : RecordEncoding.Protobuf);
                    break;
            }
        }
        catch (MalformedInputException e)
        {
            sink.OnInputProblem(new InputProblem(
                InputProblemKind.MessageMalformed, offset, $"record at offset {offset}: {e.Message} (byte {e.OffsetInRecord} of the record)"));
        }
    }

    private ReadOnlySpan<byte> Join(in ReadOnlySequence<byte> record)
    {
        var length = (int)record.Length;
        if (_joined.Length < length)
            Grow(ref _joined, length);
        record.CopyTo(_joined);
        return _joined.AsSpan(0, length);
    }

    private ReadOnlySpan<byte> Decompress(ReadOnlySpan<byte> frame)
    {
        if (!FormatSniffer.IsZstdFrame(frame))
            throw new MalformedInputException("record is not a zstd frame", 0);
        _zstd ??= new ZstdFrameDecoder();
        var capacity = (int)Math.Min(_maxRecordBytes, Math.Max(_decompressed.Length, 4L * frame.Length));
        while (true)
        {
            if (_decompressed.Length < capacity)
                Grow(ref _decompressed, capacity);
            int written;
            try
            {
                if (_zstd.TryUnwrap(frame, _decompressed, out written))
                    return _decompressed.AsSpan(0, written);
            }
            catch (InvalidDataException e)
            {
                throw new MalformedInputException($"bad zstd frame: {e.Message}", 0);
            }

            if (capacity >= _maxRecordBytes)
                throw new MalformedInputException($"zstd record decompresses to more than {_maxRecordBytes} bytes", 0);
            capacity = (int)Math.Min(_maxRecordBytes, 2L * capacity);
        }
    }

    private static void Grow(ref byte[] buffer, int length)
    {
        if (buffer.Length > 0)
            ArrayPool<byte>.Shared.Return(buffer);
        buffer = ArrayPool<byte>.Shared.Rent(length);
    }

    public void Dispose()
    {
        _zstd?.Dispose();
        if (_joined.Length > 0)
            ArrayPool<byte>.Shared.Return(_joined);
        if (_decompressed.Length > 0)
            ArrayPool<byte>.Shared.Return(_decompressed);
        _joined = _decompressed = [];
    }
}
