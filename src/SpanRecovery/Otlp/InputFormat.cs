namespace SpanRecovery.Otlp;

/// <summary>How records are delimited in the (decompressed) input, docs/formats.md.</summary>
public enum RecordFraming
{
    /// <summary>Repeated 4-byte big-endian length + record (the collector file exporter's <c>format: proto</c>).</summary>
    LengthPrefixed,

    /// <summary>OTLP/JSON documents, one per line or pretty-printed back to back.</summary>
    Json,

    /// <summary>One protobuf message without a length prefix (<c>.binpb</c>, an OTLP/HTTP body).</summary>
    Raw,
}

/// <summary>How a trace file is compressed: found by the reader, chosen for <see cref="TraceFileWriter"/>.</summary>
public enum InputCompression
{
    /// <summary>Not compressed.</summary>
    None,

    /// <summary>The whole file is a zstd stream, possibly of many concatenated frames.</summary>
    Zstd,

    /// <summary>The whole file is gzip, possibly of many members.</summary>
    Gzip,

    /// <summary>Length-prefixed records, each one zstd frame (the collector's <c>compression: zstd</c>).</summary>
    ZstdRecord,
}

/// <summary>Report names of the formats (docs/report-json.md).</summary>
public static class InputFormatNames
{
    /// <summary>The framing's name in reports: <c>length-prefixed</c>, <c>json</c> or <c>raw</c>.</summary>
    public static string Name(this RecordFraming framing) => framing switch
    {
        RecordFraming.LengthPrefixed => "length-prefixed",
        RecordFraming.Json => "json",
        _ => "raw",
    };

    /// <summary>The compression's name in reports: <c>none</c>, <c>zstd</c>, <c>gzip</c> or <c>zstd-record</c>.</summary>
    public static string Name(this InputCompression compression) => compression switch
    {
        InputCompression.Zstd => "zstd",
        InputCompression.Gzip => "gzip",
        InputCompression.ZstdRecord => "zstd-record",
        _ => "none",
    };

    internal static bool TryParseFraming(string name, out RecordFraming framing)
    {
        foreach (var candidate in Enum.GetValues<RecordFraming>())
        {
            if (candidate.Name() == name)
            {
                framing = candidate;
                return true;
            }
        }

        framing = default;
        return false;
    }
}
