namespace SpanRecovery.Otlp;

/// <summary>What one decoded record holds.</summary>
public enum RecordEncoding
{
    /// <summary>A protobuf <c>TracesData</c> / <c>ExportTraceServiceRequest</c>.</summary>
    Protobuf,

    /// <summary>One OTLP/JSON document.</summary>
    Json,
}

/// <summary>
/// Receives whole records, after framing and any per-record decompression, in input order. Validation
/// parses them into spans (<see cref="SpanParsingSink{TSink}"/>); restore re-encodes or forwards them.
/// </summary>
internal interface IRecordSink
{
    /// <summary>The input's detected framing and compression, once, before its first record.</summary>
    void OnFormat(InputDescription format);

    /// <summary>
    /// One record; the bytes are only valid during the call. A <see cref="MalformedInputException"/> thrown
    /// here becomes a <c>message-malformed</c> problem for this record, and reading goes on with the next.
    /// </summary>
    void OnRecord(ReadOnlySpan<byte> record, long offset, RecordEncoding encoding);

    /// <summary>A record (or the rest of the input) that could not be read.</summary>
    void OnInputProblem(InputProblem problem);
}

/// <summary>Parses each record into spans for a span sink: the validator's way of reading.</summary>
internal readonly struct SpanParsingSink<TSink>(TSink sink) : IRecordSink
    where TSink : ISpanSink
{
    public void OnFormat(InputDescription format)
    {
        // Spans are the same whatever the format.
    }

    public void OnRecord(ReadOnlySpan<byte> record, long offset, RecordEncoding encoding)
    {
        if (encoding == RecordEncoding.Json)
            JsonTracesParser.Parse(record, offset, sink);
        else
            ProtobufTracesParser.Parse(record, offset, sink);
    }

    public void OnInputProblem(InputProblem problem) => sink.OnInputProblem(problem);
}
