using System.Globalization;

namespace SpanRecovery.Cli;

/// <summary>Sizes on the command line: bytes, or with K, M, G, T (powers of 1024; "MiB", "MB" and "m" mean the same).</summary>
internal static class SizeParser
{
    public static long Parse(string text)
    {
        var trimmed = text.Trim();
        var digits = trimmed.TrimEnd('B', 'b', 'i', 'I');
        var shift = digits.Length == 0 ? -1 : char.ToUpperInvariant(digits[^1]) switch
        {
            'K' => 10,
            'M' => 20,
            'G' => 30,
            'T' => 40,
            _ when char.IsAsciiDigit(digits[^1]) => 0,
            _ => -1,
        };
        if (shift > 0)
            digits = digits[..^1];
        if (shift < 0 || !double.TryParse(digits, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            || !double.IsFinite(value) || value < 1 || value * Math.Pow(2, shift) > long.MaxValue / 2)
            throw new UsageException($"'{text}' is not a size (examples: 512M, 2G, 1073741824)");
        return (long)(value * Math.Pow(2, shift));
    }
}
