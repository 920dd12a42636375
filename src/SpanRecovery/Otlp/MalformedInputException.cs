namespace SpanRecovery.Otlp;

/// <summary>
/// A record that cannot be decoded: bad varint, wrong wire type, a length past its enclosing message, a bad
/// zstd frame, bad JSON. Thrown by the record parsers and turned into a <c>message-malformed</c> finding by
/// the framing layer, which then resumes at the next record.
/// </summary>
internal sealed class MalformedInputException : Exception
{
    public MalformedInputException(string message, long offsetInRecord)
        : base(message) => OffsetInRecord = offsetInRecord;

    public MalformedInputException()
    {
    }

    public MalformedInputException(string message)
        : base(message)
    {
    }

    public MalformedInputException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Byte offset of the problem inside the record, for the message.</summary>
    public long OffsetInRecord { get; }
}
