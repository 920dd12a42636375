namespace SpanRecovery.Restore;

/// <summary>Text that comes from a receiver (an error body, a partial-success or status message), made fit for a report.</summary>
internal static class ReceiverText
{
    private const int MaxChars = 200;

    /// <summary>One line: no control characters, no header value (<see cref="OtlpHttpOptions.Redact"/>), at most 200 characters.</summary>
    public static string Clean(string text, OtlpHttpOptions options)
    {
        text = options.Redact(string.Concat(text.Trim().Select(c => char.IsControl(c) ? ' ' : c)));
        return text.Length <= MaxChars ? text : text[..MaxChars] + "…";
    }
}
