using System.Buffers;
using System.Buffers.Binary;

namespace SpanRecovery.Otlp;

/// <summary>Tells formats apart from their first bytes, never from file names (docs/formats.md).</summary>
internal static class FormatSniffer
{
    /// <summary>Bytes looked at to decide; fewer is fine at the end of input.</summary>
    public const int PrefixLength = 64;

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
        if (IsJsonDocument(prefix))
            return RecordFraming.Json;
        if (prefix.Length > 0 && prefix[0] == ProtoWireWriter.Tag(TracesSchema.TracesDataResourceSpans, WireType.LengthDelimited))
            return RecordFraming.Raw;
        if (prefix.Length >= 4 && BinaryPrimitives.ReadUInt32BigEndian(prefix) <= maxRecordBytes)
            return RecordFraming.LengthPrefixed;
        return null;
    }

    /// <summary>
    /// Whether bytes start an OTLP/JSON document rather than protobuf: the first non-blank byte is '{'. The
    /// blank 0x0A is also the tag protobuf TracesData starts with, and 0x7B ('{') a plausible length after it,
    /// so when the bytes do not start with '{' itself they must also read as text: JSON never holds a raw
    /// control byte other than tab, CR and LF, while protobuf tags and lengths soon do.
    /// </summary>
    public static bool IsJsonDocument(ReadOnlySpan<byte> bytes)
    {
        var first = bytes.IndexOfAnyExcept(JsonBlanks);
        if (first < 0 || bytes[first] != (byte)'{')
            return false;
        return first == 0 || bytes[..Math.Min(bytes.Length, PrefixLength)].IndexOfAny(ControlBytes) < 0;
    }

    private static readonly SearchValues<byte> ControlBytes =
        SearchValues.Create([0, 1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31]);

    /// <summary>JSON whitespace plus the UTF-8 byte order mark some editors write.</summary>
    public static readonly SearchValues<byte> JsonBlanks = SearchValues.Create([(byte)' ', (byte)'\t', (byte)'\r', (byte)'\n', 0xEF, 0xBB, 0xBF]);
}
