using System.Globalization;

namespace SpanRecovery.Cli;

/// <summary>Durations on the command line: "24h", "90m", "30s", "1500ms", "2d", or a TimeSpan "1.00:00:00".</summary>
internal static class DurationParser
{
    /// <summary>The longest wait a timer can take (Task.Delay and CancelAfter stop at 2^32 - 2 ms).</summary>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromDays(49);

    /// <summary>Parses a duration no longer than <paramref name="max"/> (default 100 years); anything else is a usage error.</summary>
    public static TimeSpan Parse(string text, TimeSpan? max = null)
    {
        var limit = max ?? TimeSpan.FromDays(36525);
        var parsed = ParseUnbounded(text);
        return parsed <= limit ? parsed
            : throw new UsageException($"'{text}' is longer than the {limit.TotalDays:0.#} days this option allows");
    }

    private static TimeSpan ParseUnbounded(string text)
    {
        var units = new (string Suffix, double Seconds)[] { ("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400) };
        foreach (var (suffix, seconds) in units)
        {
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && double.TryParse(text[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
                && value >= 0 && !(suffix == "m" && text.EndsWith("ms", StringComparison.OrdinalIgnoreCase)))
                return value * seconds < TimeSpan.MaxValue.TotalSeconds / 2 ? TimeSpan.FromSeconds(value * seconds) : TimeSpan.MaxValue;
        }

        if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) && span >= TimeSpan.Zero)
            return span;
        throw new UsageException($"'{text}' is not a duration (examples: 24h, 90m, 30s, 1.00:00:00)");
    }
}
