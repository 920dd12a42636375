using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Unicode;

namespace SpanRecovery.Repository;

/// <summary>
/// The text form of a source path, which on Linux is bytes, not text. A name that is valid UTF-8 is itself;
/// each byte of a name that is not valid UTF-8 is written as NUL and two upper-case hex digits. No file name
/// holds a NUL, so the form is lossless and unambiguous, sorts and compares as a string, and survives JSON —
/// where .NET would otherwise decode such a name to U+FFFD and could neither open it nor restore it.
/// </summary>
internal static class SourcePath
{
    private const char Escape = '\0';

    /// <summary>Whether the path has bytes that are not UTF-8 and so must reach the system as bytes.</summary>
    public static bool HasRawBytes(string path) => path.Contains(Escape);

    /// <summary>The text form of a name or path the system gave as bytes.</summary>
    public static string FromBytes(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder(bytes.Length);
        Span<char> chars = stackalloc char[256];
        while (!bytes.IsEmpty)
        {
            var status = Utf8.ToUtf16(bytes, chars, out var read, out var written, replaceInvalidSequences: false);
            text.Append(chars[..written]);
            bytes = bytes[read..];
            if (status is OperationStatus.InvalidData or OperationStatus.NeedMoreData)
            {
                text.Append(Escape).Append(bytes[0].ToString("X2", CultureInfo.InvariantCulture));
                bytes = bytes[1..];
            }
        }

        return text.ToString();
    }

    /// <summary>The bytes the text form stands for, NUL-terminated for a system call.</summary>
    public static byte[] ToSystemBytes(string path) =>
        TryToBytes(path, out var bytes) ? [.. bytes, 0] : throw new ArgumentException($"not a source path: {Display(path)}", nameof(path));

    /// <summary>
    /// Whether <paramref name="path"/> is exactly what <see cref="FromBytes"/> makes of some bytes. A manifest
    /// can hold anything; this refuses an escape of a byte that is valid UTF-8 — an escaped '/' or '.' would
    /// slip past every check made on the text — and two spellings of one name.
    /// </summary>
    public static bool IsCanonical(string path) => TryToBytes(path, out var bytes) && FromBytes(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes)) == path;

    /// <summary>The path for people and reports: each raw byte as <c>\xHH</c>.</summary>
    public static string Display(string path) => HasRawBytes(path) ? path.Replace("\0", @"\x", StringComparison.Ordinal) : path;

    private static bool TryToBytes(string path, out List<byte> bytes)
    {
        bytes = new List<byte>(path.Length);
        var start = 0;
        for (var escape = path.IndexOf(Escape); escape >= 0; escape = path.IndexOf(Escape, start))
        {
            bytes.AddRange(Encoding.UTF8.GetBytes(path[start..escape]));
            if (escape + 3 > path.Length || !byte.TryParse(path.AsSpan(escape + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var raw))
                return false;
            bytes.Add(raw);
            start = escape + 3;
        }

        bytes.AddRange(Encoding.UTF8.GetBytes(path[start..]));
        return true;
    }
}
