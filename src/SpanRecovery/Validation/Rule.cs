namespace SpanRecovery.Validation;

/// <summary>How bad a finding is: errors make <c>validate</c> exit 1, warnings do not.</summary>
public enum Severity
{
    /// <summary>Worth knowing, common in healthy data (partial traces, exporter retries).</summary>
    Warning,

    /// <summary>Data that is wrong.</summary>
    Error,
}

/// <summary>The validation rules of docs/rules.md, in report order; <see cref="Rules"/> has their ids and severities.</summary>
public enum Rule
{
    /// <summary><c>trace-id-missing</c> (error): trace_id is empty.</summary>
    TraceIdMissing,
    /// <summary><c>trace-id-invalid-length</c> (error): trace_id is not 16 bytes.</summary>
    TraceIdInvalidLength,
    /// <summary><c>trace-id-zero</c> (error): trace_id is 16 zero bytes.</summary>
    TraceIdZero,
    /// <summary><c>span-id-missing</c> (error): span_id is empty.</summary>
    SpanIdMissing,
    /// <summary><c>span-id-invalid-length</c> (error): span_id is not 8 bytes.</summary>
    SpanIdInvalidLength,
    /// <summary><c>span-id-zero</c> (error): span_id is 8 zero bytes.</summary>
    SpanIdZero,
    /// <summary><c>id-invalid-encoding</c> (error): an OTLP/JSON ID holds a character that is not a hex digit.</summary>
    IdInvalidEncoding,
    /// <summary><c>parent-id-invalid-length</c> (error): parent_span_id is neither empty nor 8 bytes.</summary>
    ParentIdInvalidLength,
    /// <summary><c>parent-id-zero</c> (warning): parent_span_id is 8 zero bytes; the span is taken as a root.</summary>
    ParentIdZero,
    /// <summary><c>parent-is-self</c> (error): parent_span_id equals the span's own span_id.</summary>
    ParentIsSelf,
    /// <summary><c>start-time-missing</c> (error): start_time_unix_nano is 0.</summary>
    StartTimeMissing,
    /// <summary><c>end-time-missing</c> (error): end_time_unix_nano is 0.</summary>
    EndTimeMissing,
    /// <summary><c>end-before-start</c> (error): the end is before the start.</summary>
    EndBeforeStart,
    /// <summary><c>timestamp-out-of-range</c> (warning): a time is before 2000 or from 2100 on.</summary>
    TimestampOutOfRange,
    /// <summary><c>duration-too-long</c> (warning): the span lasts longer than <see cref="ValidationOptions.MaxDuration"/>.</summary>
    DurationTooLong,
    /// <summary><c>duplicate-span</c> (error): a later span with the same IDs and different content.</summary>
    DuplicateSpan,
    /// <summary><c>duplicate-span-identical</c> (warning): a later span with the same IDs and identical content (an exporter retry).</summary>
    DuplicateSpanIdentical,
    /// <summary><c>parent-not-found</c> (warning): no span of the trace has the parent's ID.</summary>
    ParentNotFound,
    /// <summary><c>parent-cycle</c> (error): following parents leads back to the span.</summary>
    ParentCycle,
    /// <summary><c>frame-truncated</c> (input error): a record's length runs past the end of the input.</summary>
    FrameTruncated,
    /// <summary><c>message-malformed</c> (input error): a record that cannot be decoded; reading resumes at the next.</summary>
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

    internal const int Count = 21;

    /// <summary>The rule's id, as reports and scripts use it.</summary>
    public static string Id(this Rule rule) => Ids[(int)rule];

    /// <summary>The rule's severity.</summary>
    public static Severity Severity(this Rule rule) => rule switch
    {
        Rule.ParentIdZero or Rule.TimestampOutOfRange or Rule.DurationTooLong
            or Rule.DuplicateSpanIdentical or Rule.ParentNotFound => Validation.Severity.Warning,
        _ => Validation.Severity.Error,
    };

    /// <summary>Input-level rules: the input could not be fully read (exit code 2).</summary>
    public static bool IsInputRule(this Rule rule) => rule is Rule.FrameTruncated or Rule.MessageMalformed;

    /// <summary>The rule with this id, if there is one.</summary>
    public static bool TryParse(string id, out Rule rule)
    {
        var index = Array.IndexOf(Ids, id);
        rule = (Rule)Math.Max(index, 0);
        return index >= 0;
    }
}
