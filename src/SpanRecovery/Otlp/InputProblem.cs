namespace SpanRecovery.Otlp;

/// <summary>What kind of input-level problem was met; maps to the rule ids of docs/rules.md.</summary>
public enum InputProblemKind
{
    /// <summary><c>frame-truncated</c>: a record's length runs past the end of input.</summary>
    FrameTruncated,

    /// <summary><c>message-malformed</c>: a record that cannot be decoded; reading resumes at the next one.</summary>
    MessageMalformed,

    /// <summary>The input as a whole cannot be read: missing file, unknown format, I/O error.</summary>
    Unreadable,
}

/// <summary>An input-level problem with the byte offset (in the decompressed input) where it was met.</summary>
public sealed record InputProblem(InputProblemKind Kind, long Offset, string Message);
