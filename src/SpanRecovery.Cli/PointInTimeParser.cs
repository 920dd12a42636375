using System.Globalization;
using System.Text.RegularExpressions;

namespace SpanRecovery.Cli;

/// <summary>
/// <c>--to-time</c>: RFC 3339 with up to nanosecond fractions ("2026-11-24T10:15:00.123456789Z",
/// "2026-11-24T11:15:00+01:00") or Unix nanoseconds ("1795515300000000000"), as span times are kept.
/// </summary>
internal static partial class PointInTimeParser
{
    /// <summary>The first moment a 64-bit count of Unix nanoseconds cannot hold (2554-07-21).</summary>
    private static readonly DateTimeOffset LatestUnixNano = DateTimeOffset.UnixEpoch.AddTicks((long)(ulong.MaxValue / 100));

    public static ulong ParseUnixNano(string text)
    {
        if (text.Length > 0 && text.All(char.IsAsciiDigit))
        {
            return ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var nanos)
                ? nanos
                : throw new UsageException($"'{text}' is larger than any Unix nanosecond time");
        }

        var match = Rfc3339().Match(text);
        if (!match.Success || !DateTimeOffset.TryParse(match.Groups["seconds"].Value + match.Groups["zone"].Value, CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
            throw new UsageException($"'{text}' is not an RFC 3339 time (2026-11-24T10:15:00Z) or Unix nanoseconds");
        if (time < DateTimeOffset.UnixEpoch || time >= LatestUnixNano)
            throw new UsageException($"'{text}' is outside what Unix nanoseconds can hold (1970 to 2554)");
        var fraction = match.Groups["fraction"].Value;
        var nanosOfSecond = fraction.Length == 0 ? 0UL : ulong.Parse(fraction.PadRight(9, '0'), CultureInfo.InvariantCulture);
        return (ulong)(time - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerSecond * 1_000_000_000UL + nanosOfSecond;
    }

    [GeneratedRegex(@"^(?<seconds>\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2})(?:\.(?<fraction>\d{1,9}))?(?<zone>[Zz]|[+-]\d{2}:\d{2})$")]
    private static partial Regex Rfc3339();
}
