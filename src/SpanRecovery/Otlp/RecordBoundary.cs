using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace SpanRecovery.Otlp;

/// <summary>
/// Where the complete records of a growing file end. A collector appends records; the last one may be half
/// written when a backup runs, and capturing it would store a truncated record and shift every later
/// append off a record boundary. So a backup takes only complete records and leaves the tail for the next.
/// </summary>
internal static class RecordBoundary
{
    private const int ScanChunk = 64 * 1024;

    /// <summary>
    /// The end of the last complete record in [<paramref name="start"/>, <paramref name="length"/>), where
    /// <paramref name="start"/> is a record boundary. Length-prefixed files: walk the 4-byte lengths. JSON
    /// lines: after the last '\n'. Anything else (whole-file compression, raw protobuf, unknown) has no
    /// record boundaries we can see, so the whole file — except a file of fewer than 4 bytes of unknown
    /// format, which waits (it is most likely the first record's length, half written).
    /// </summary>
    public static long CompleteEnd(SafeFileHandle file, long start, long length, long maxRecordBytes)
    {
        if (length <= start)
            return start;
        Span<byte> prefix = stackalloc byte[FormatSniffer.PrefixLength];
        prefix = prefix[..RandomAccess.Read(file, prefix, 0)];
        if (FormatSniffer.SniffCompression(prefix) != InputCompression.None)
            return length;
        var framing = FormatSniffer.SniffFraming(prefix, maxRecordBytes);
        // Fewer bytes than a record's 4-byte length: a writer has only begun its first record, and the format
        // cannot be told yet. Capturing them whole would shift every later record off its boundary; wait.
        if (framing is null && prefix.Length < 4)
            return start;
        return framing switch
        {
            RecordFraming.LengthPrefixed => LengthPrefixedEnd(file, start, length, maxRecordBytes),
            RecordFraming.Json => AfterLastNewline(file, start, length),
            _ => length,
        };
    }

    /// <summary>
    /// The file's framing when its records have boundaries we can see — uncompressed length-prefixed or JSON
    /// lines — so that bytes appended after a record can be read on their own as the file's continuation.
    /// Null for anything else: a whole-file zstd or gzip stream, a raw message or an unknown format can only
    /// be read from its start.
    /// </summary>
    public static RecordFraming? AppendableFraming(SafeFileHandle file, long maxRecordBytes)
    {
        Span<byte> prefix = stackalloc byte[FormatSniffer.PrefixLength];
        prefix = prefix[..RandomAccess.Read(file, prefix, 0)];
        if (FormatSniffer.SniffCompression(prefix) != InputCompression.None)
            return null;
        var framing = FormatSniffer.SniffFraming(prefix, maxRecordBytes);
        return framing is RecordFraming.LengthPrefixed or RecordFraming.Json ? framing : null;
    }

    private static long LengthPrefixedEnd(SafeFileHandle file, long start, long length, long maxRecordBytes)
    {
        Span<byte> header = stackalloc byte[4];
        var position = start;
        while (length - position >= 4)
        {
            RandomAccess.Read(file, header, position);
            var recordLength = BinaryPrimitives.ReadUInt32BigEndian(header);
            // A length no writer produces is damage, not a record in progress: capture it all and let
            // validation report it rather than wait forever for a record that never completes.
            if (recordLength > maxRecordBytes)
                return length;
            if (position + 4 + recordLength > length)
                break;
            position += 4 + recordLength;
        }

        return position;
    }

    private static long AfterLastNewline(SafeFileHandle file, long start, long length)
    {
        var buffer = new byte[ScanChunk];
        var end = length;
        while (end > start)
        {
            var from = Math.Max(start, end - ScanChunk);
            var read = RandomAccess.Read(file, buffer.AsSpan(0, (int)(end - from)), from);
            var newline = buffer.AsSpan(0, read).LastIndexOf((byte)'\n');
            if (newline >= 0)
                return from + newline + 1;
            end = from;
        }

        return start;
    }
}
