namespace SpanRecovery.Otlp;

/// <summary>Limits and overrides for reading trace inputs.</summary>
public sealed record ReaderOptions
{
    /// <summary>64 MiB: larger than any record a collector writes.</summary>
    public const long DefaultMaxRecordBytes = 64L * 1024 * 1024;

    /// <summary>Records (and raw messages, and JSON documents) larger than this are input errors.</summary>
    public long MaxRecordBytes { get; init; } = DefaultMaxRecordBytes;

    /// <summary>Overrides framing detection (<c>--input-format</c>); compression is still detected.</summary>
    public RecordFraming? Framing { get; init; }
}

/// <summary>What was detected about one input, for the report.</summary>
public sealed record InputDescription(RecordFraming? Framing, InputCompression Compression);
