using System.Buffers;
using System.Buffers.Binary;

namespace SpanRecovery.Otlp;

/// <summary>Tells formats apart from their first bytes, never from file names (DESIGN §2).</summary>
internal static class FormatSniffer
{
    /// <summary>Bytes needed to decide; fewer is fine at the end of input.</summary>
    public const int PrefixLength = 8;

    private const uint ZstdMagic = 0xFD2FB528; // 28 B5 2F FD read little-endian

    public static bool IsZstdFrame(ReadOnlySpan<byte> bytes) =>
        bytes.Length >= 4 && BinaryPrimitives.ReadUInt32LittleEndian(bytes) == ZstdMagic;

    public static bool IsGzip(ReadOnlySpan<byte> bytes) => bytes.Length >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B;

    /// <summary>Whole-file compression, from the raw file's first bytes.</summary>
    public static InputCompression SniffCompression(ReadOnlySpan<byte> prefix) =>
        IsZstdFrame(prefix) ? InputCompression.Zstd : IsGzip(prefix) ? InputCompression.Gzip : InputCompression.None;

    /// <summary>
    /// Framing of decompressed bytes: JSON when the first non-blank byte is '{'; raw protobuf when byte 0
    /// is 0x0A (field 1, length-delimited — as a length prefix it would mean a record over 160 MiB);
    /// length-prefixed when the first length fits <paramref name="maxRecordBytes"/>. Null: unknown.
    /// </summary>
    public static RecordFraming? SniffFraming(ReadOnlySpan<byte> prefix, long maxRecordBytes)
    {
        var firstNonBlank = prefix.IndexOfAnyExcept(JsonBlanks);
        if (firstNonBlank >= 0 && prefix[firstNonBlank] == (byte)'{')
            return RecordFraming.Json;
        if (prefix.Length > 0 && prefix[0] == 0x0A)
            return RecordFraming.Raw;
        if (prefix.Length >= 4 && BinaryPrimitives.ReadUInt32BigEndian(prefix) <= maxRecordBytes)
            return RecordFraming.LengthPrefixed;
        return null;
    }

    /// <summary>Whether a decompressed record payload is an OTLP/JSON document rather than protobuf.</summary>
    public static bool IsJsonDocument(ReadOnlySpan<byte> payload)
    {
        var first = payload.IndexOfAnyExcept(JsonBlanks);
        return first >= 0 && payload[first] == (byte)'{';
    }

    /// <summary>JSON whitespace plus the UTF-8 byte order mark some editors write.</summary>
    public static readonly SearchValues<byte> JsonBlanks = SearchValues.Create([(byte)' ', (byte)'\t', (byte)'\r', (byte)'\n', 0xEF, 0xBB, 0xBF]);
}
