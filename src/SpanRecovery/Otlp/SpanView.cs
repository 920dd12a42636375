namespace SpanRecovery.Otlp;

/// <summary>
/// How an ID was written, for formats where that can go wrong. Protobuf IDs are raw bytes and always
/// <see cref="None"/>; OTLP/JSON IDs are hex strings that may not be hex at all.
/// </summary>
[Flags]
public enum IdEncodingProblems : byte
{
    None = 0,
    TraceIdNotHex = 1,
    SpanIdNotHex = 2,
    ParentSpanIdNotHex = 4,
}

/// <summary>
/// What the validator needs of one span, pointing into the reader's buffer: valid only during the
/// <see cref="ISpanSink.OnSpan"/> call that receives it. IDs are the decoded bytes (JSON hex with an odd
/// number of digits decodes to a length that is never valid). <see cref="ContentHash"/> identifies the span's
/// whole content, so byte-identical repeats (exporter retries) can be told from conflicting ones.
/// </summary>
public readonly ref struct SpanView
{
    public SpanView(
        ReadOnlySpan<byte> traceId,
        ReadOnlySpan<byte> spanId,
        ReadOnlySpan<byte> parentSpanId,
        ulong startTimeUnixNano,
        ulong endTimeUnixNano,
        ulong contentHash,
        long recordOffset,
        IdEncodingProblems encodingProblems = IdEncodingProblems.None)
    {
        TraceId = traceId;
        SpanId = spanId;
        ParentSpanId = parentSpanId;
        StartTimeUnixNano = startTimeUnixNano;
        EndTimeUnixNano = endTimeUnixNano;
        ContentHash = contentHash;
        RecordOffset = recordOffset;
        EncodingProblems = encodingProblems;
    }

    public ReadOnlySpan<byte> TraceId { get; }

    public ReadOnlySpan<byte> SpanId { get; }

    public ReadOnlySpan<byte> ParentSpanId { get; }

    public ulong StartTimeUnixNano { get; }

    public ulong EndTimeUnixNano { get; }

    public ulong ContentHash { get; }

    /// <summary>Byte offset of the record holding the span in the (decompressed) input.</summary>
    public long RecordOffset { get; }

    public IdEncodingProblems EncodingProblems { get; }
}
