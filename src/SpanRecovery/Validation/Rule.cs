namespace SpanRecovery.Validation;

public enum Severity
{
    Warning,
    Error,
}

/// <summary>The validation rules of docs/rules.md, in report order; <see cref="Rules"/> has their ids and severities.</summary>
public enum Rule
{
    TraceIdMissing,
    TraceIdInvalidLength,
    TraceIdZero,
    SpanIdMissing,
    SpanIdInvalidLength,
    SpanIdZero,
    IdInvalidEncoding,
    ParentIdInvalidLength,
    ParentIdZero,
    ParentIsSelf,
    StartTimeMissing,
    EndTimeMissing,
    EndBeforeStart,
    TimestampOutOfRange,
    DurationTooLong,
    DuplicateSpan,
    DuplicateSpanIdentical,
    ParentNotFound,
    ParentCycle,
    FrameTruncated,
    MessageMalformed,
}

/// <summary>Rule ids (stable, used in reports and by scripts) and severities.</summary>
public static class Rules
{
    private static readonly string[] Ids =
    [
        "trace-id-missing", "trace-id-invalid-length", "trace-id-zero",
        "span-id-missing", "span-id-invalid-length", "span-id-zero",
        "id-invalid-encoding", "parent-id-invalid-length", "parent-id-zero", "parent-is-self",
        "start-time-missing", "end-time-missing", "end-before-start", "timestamp-out-of-range", "duration-too-long",
        "duplicate-span", "duplicate-span-identical", "parent-not-found", "parent-cycle",
        "frame-truncated", "message-malformed",
    ];

    public const int Count = 21;

    public static string Id(this Rule rule) => Ids[(int)rule];

    public static Severity Severity(this Rule rule) => rule switch
    {
        Rule.ParentIdZero or Rule.TimestampOutOfRange or Rule.DurationTooLong
            or Rule.DuplicateSpanIdentical or Rule.ParentNotFound => Validation.Severity.Warning,
        _ => Validation.Severity.Error,
    };

    /// <summary>Input-level rules: the input could not be fully read (exit code 2).</summary>
    public static bool IsInputRule(this Rule rule) => rule is Rule.FrameTruncated or Rule.MessageMalformed;

    public static bool TryParse(string id, out Rule rule)
    {
        var index = Array.IndexOf(Ids, id);
        rule = (Rule)Math.Max(index, 0);
        return index >= 0;
    }
}
