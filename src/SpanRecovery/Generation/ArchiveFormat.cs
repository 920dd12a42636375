namespace SpanRecovery.Generation;

/// <summary>How a record's <c>TracesData</c> is encoded.</summary>
public enum ArchiveEncoding
{
    /// <summary>Protobuf, as the collector file exporter's <c>format: proto</c> writes it.</summary>
    Protobuf,

    /// <summary>OTLP/JSON, one compact document per record (<c>format: json</c>).</summary>
    Json,
}

/// <summary>How a generated file is compressed (DESIGN §2).</summary>
public enum ArchiveCompression
{
    None,

    /// <summary>The whole file is one zstd stream (the collector's native compression).</summary>
    Zstd,

    /// <summary>Each record is a 4-byte big-endian length and one zstd frame (the file exporter's <c>compression: zstd</c>).</summary>
    ZstdRecord,

    /// <summary>The whole file is one gzip member.</summary>
    Gzip,
}

/// <summary>How records follow each other in a file.</summary>
public enum ArchiveFraming
{
    /// <summary>Protobuf: a 4-byte big-endian length before each record. JSON: one document per line.</summary>
    Records,

    /// <summary>
    /// Protobuf only: the file is one <c>ExportTraceServiceRequest</c> with no prefix. The records are written
    /// back to back, which is valid because concatenated messages merge their repeated <c>resource_spans</c>.
    /// </summary>
    Raw,
}
