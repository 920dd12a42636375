using System.Globalization;

namespace SpanRecovery.Cli;

/// <summary>Durations on the command line: "24h", "90m", "30s", "1500ms", "2d", or a TimeSpan "1.00:00:00".</summary>
internal static class DurationParser
{
    public static TimeSpan Parse(string text)
    {
        var units = new (string Suffix, double Seconds)[] { ("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400) };
        foreach (var (suffix, seconds) in units)
        {
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && double.TryParse(text[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
                && value >= 0 && !(suffix == "m" && text.EndsWith("ms", StringComparison.OrdinalIgnoreCase)))
                return TimeSpan.FromSeconds(value * seconds);
        }

        if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) && span >= TimeSpan.Zero)
            return span;
        throw new UsageException($"'{text}' is not a duration (examples: 24h, 90m, 30s, 1.00:00:00)");
    }
}
