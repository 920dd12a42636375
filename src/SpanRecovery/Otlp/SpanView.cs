namespace SpanRecovery.Otlp;

/// <summary>
/// How an ID was written, for formats where that can go wrong. Protobuf IDs are raw bytes and always
/// <see cref="None"/>; OTLP/JSON IDs are hex strings that may not be hex at all.
/// </summary>
[Flags]
public enum IdEncodingProblems : byte
{
    /// <summary>Every ID was well written.</summary>
    None = 0,
    /// <summary>The trace ID is not hex.</summary>
    TraceIdNotHex = 1,
    /// <summary>The span ID is not hex.</summary>
    SpanIdNotHex = 2,
    /// <summary>The parent span ID is not hex.</summary>
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
    internal SpanView(
        ReadOnlySpan<byte> traceId,
        ReadOnlySpan<byte> spanId,
        ReadOnlySpan<byte> parentSpanId,
        ulong startTimeUnixNano,
        ulong endTimeUnixNano,
        ulong contentHash,
        long recordOffset,
        IdEncodingProblems encodingProblems = IdEncodingProblems.None,
        int kind = 0,
        SpanExtras extras = default)
    {
        TraceId = traceId;
        SpanId = spanId;
        ParentSpanId = parentSpanId;
        StartTimeUnixNano = startTimeUnixNano;
        EndTimeUnixNano = endTimeUnixNano;
        ContentHash = contentHash;
        RecordOffset = recordOffset;
        EncodingProblems = encodingProblems;
        Kind = kind;
        FirstEventTimeUnixNano = extras.FirstEventTime;
        LastEventTimeUnixNano = extras.LastEventTime;
        HasMalformedLink = extras.MalformedLink;
    }

    /// <summary>The trace ID's bytes (16 when well formed).</summary>
    public ReadOnlySpan<byte> TraceId { get; }

    /// <summary>The span ID's bytes (8 when well formed).</summary>
    public ReadOnlySpan<byte> SpanId { get; }

    /// <summary>The parent span ID's bytes; empty for a root.</summary>
    public ReadOnlySpan<byte> ParentSpanId { get; }

    /// <summary>Start time, nanoseconds since the Unix epoch; 0 when absent.</summary>
    public ulong StartTimeUnixNano { get; }

    /// <summary>End time, nanoseconds since the Unix epoch; 0 when absent.</summary>
    public ulong EndTimeUnixNano { get; }

    /// <summary>A hash of the span's whole encoded content: equal for byte-identical spans.</summary>
    public ulong ContentHash { get; }

    /// <summary>Byte offset of the record holding the span in the (decompressed) input.</summary>
    public long RecordOffset { get; }

    /// <summary>IDs that were not hex (OTLP/JSON only).</summary>
    public IdEncodingProblems EncodingProblems { get; }

    /// <summary>The span's kind as written: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer (other values are kept as they are).</summary>
    public int Kind { get; }

    /// <summary>The earliest non-zero event time; 0 when the span has no timed event.</summary>
    public ulong FirstEventTimeUnixNano { get; }

    /// <summary>The latest non-zero event time; 0 when the span has no timed event.</summary>
    public ulong LastEventTimeUnixNano { get; }

    /// <summary>Some link's trace_id is not 16 bytes or all zero, or its span_id not 8 bytes or all zero (or not hex).</summary>
    public bool HasMalformedLink { get; }
}

/// <summary>
/// What the readers gather from a span's events and links while they pass them: summaries instead of lists,
/// so that a span with any number of events and links costs no allocation.
/// </summary>
internal struct SpanExtras
{
    public ulong FirstEventTime;
    public ulong LastEventTime;
    public bool MalformedLink;

    /// <summary>Takes one event's time into account; 0 (no time) is ignored.</summary>
    public void AddEventTime(ulong time)
    {
        if (time == 0)
            return;
        if (FirstEventTime == 0 || time < FirstEventTime)
            FirstEventTime = time;
        if (time > LastEventTime)
            LastEventTime = time;
    }

    /// <summary>Takes one link's IDs into account: well formed means 16 and 8 bytes, neither all zero.</summary>
    public void AddLink(ReadOnlySpan<byte> traceId, ReadOnlySpan<byte> spanId)
    {
        if (traceId.Length != 16 || !traceId.ContainsAnyExcept((byte)0) || spanId.Length != 8 || !spanId.ContainsAnyExcept((byte)0))
            MalformedLink = true;
    }
}
