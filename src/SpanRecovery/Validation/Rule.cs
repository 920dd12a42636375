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
    /// <summary><c>trace-no-root</c> (warning): a trace with no root span; on its earliest-starting entered span.</summary>
    TraceNoRoot,
    /// <summary><c>trace-multiple-roots</c> (warning): a root after the first of its trace, in input order.</summary>
    TraceMultipleRoots,
    /// <summary><c>child-starts-before-parent</c> (warning): the span starts more than the skew tolerance before its parent.</summary>
    ChildStartsBeforeParent,
    /// <summary><c>child-ends-after-parent</c> (warning): the span ends more than the skew tolerance after its parent (not for a PRODUCER parent or a CONSUMER span).</summary>
    ChildEndsAfterParent,
    /// <summary><c>trace-too-large</c> (warning): a trace with more entered spans than <see cref="ValidationOptions.MaxTraceSpans"/>; on its first entered span.</summary>
    TraceTooLarge,
    /// <summary><c>link-invalid</c> (warning): a link whose trace_id or span_id is not a well-formed ID.</summary>
    LinkInvalid,
    /// <summary><c>event-outside-span</c> (warning): an event time before the span's start or after its end, beyond the skew tolerance.</summary>
    EventOutsideSpan,
    /// <summary><c>shared-span-id</c> (warning): a CLIENT and a SERVER span share one (trace_id, span_id), Zipkin style; on the later one.</summary>
    SharedSpanId,
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
        "trace-no-root", "trace-multiple-roots", "child-starts-before-parent", "child-ends-after-parent",
        "trace-too-large", "link-invalid", "event-outside-span", "shared-span-id",
        "frame-truncated", "message-malformed",
    ];

    internal const int Count = 29;

    /// <summary>The rule's id, as reports and scripts use it.</summary>
    public static string Id(this Rule rule) => Ids[(int)rule];

    /// <summary>The rule's severity.</summary>
    public static Severity Severity(this Rule rule) => rule switch
    {
        Rule.ParentIdZero or Rule.TimestampOutOfRange or Rule.DurationTooLong
            or Rule.DuplicateSpanIdentical or Rule.ParentNotFound or Rule.TraceNoRoot or Rule.TraceMultipleRoots
            or Rule.ChildStartsBeforeParent or Rule.ChildEndsAfterParent or Rule.TraceTooLarge or Rule.LinkInvalid
            or Rule.EventOutsideSpan or Rule.SharedSpanId => Validation.Severity.Warning,
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
