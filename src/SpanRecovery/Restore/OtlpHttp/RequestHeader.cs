namespace SpanRecovery.Restore;

/// <summary>
/// A header sent on every request of a restore (<c>--header "Name: value"</c>): tenant IDs, credentials. The
/// value is a secret as far as SpanRecovery is concerned: <see cref="ToString"/> hides it, and no output,
/// log line, journal or result holds it.
/// </summary>
public sealed class RequestHeader
{
    /// <summary>Headers the transport sets itself; one given twice would make a request receivers refuse or misread.</summary>
    private static readonly string[] Reserved = ["Content-Type", "Content-Encoding", "Content-Length", "Transfer-Encoding", "Host", "Connection"];

    /// <summary>Checks the name (an RFC 9110 token, not one the transport sets) and the value (no control characters but tab).</summary>
    public RequestHeader(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(value);
        if (name.Length == 0 || !name.All(IsTokenChar))
            throw new ArgumentException("a header name may hold only letters, digits and !#$%&'*+-.^_`|~", nameof(name));
        if (Reserved.Contains(name, StringComparer.OrdinalIgnoreCase))
            throw new ArgumentException($"the {name} header is set by the restore itself", nameof(name));
        if (value.Any(c => char.IsControl(c) && c != '\t'))
            throw new ArgumentException($"the value of the {name} header holds a control character", nameof(value));
        (Name, Value) = (name, value.Trim(' ', '\t'));
    }

    /// <summary>The header's name, as given.</summary>
    public string Name { get; }

    /// <summary>The header's value, without surrounding blanks: never printed, logged or journaled.</summary>
    public string Value { get; }

    /// <summary>Parses "Name: value"; the message of the <see cref="FormatException"/> never holds the value.</summary>
    public static RequestHeader Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
            throw new FormatException("a header must be given as \"Name: value\"");
        try
        {
            return new RequestHeader(text[..colon].Trim(), text[(colon + 1)..]);
        }
        catch (ArgumentException e)
        {
            throw new FormatException(e.Message.Split(" (Parameter")[0], e);
        }
    }

    /// <summary>The name only: the value stays hidden.</summary>
    public override string ToString() => $"{Name}: (hidden)";

    private static bool IsTokenChar(char c) => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal);
}
