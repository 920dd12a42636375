namespace SpanRecovery.Validation;

/// <summary>One input of a validation run, as the report lists it.</summary>
public sealed record InputReport(string Path, string? Format, string? Compression, long Bytes, long Spans, string? Error);

/// <summary>A finding kept as an example: where it is and which span (IDs as hex, empty when absent).</summary>
public sealed record Finding(Rule Rule, string Path, long Offset, string TraceId, string SpanId, string Message)
{
    /// <summary>The rule's severity.</summary>
    public Severity Severity => Rule.Severity();

    /// <summary>A finding about a span known by its well-formed key.</summary>
    internal static Finding ForSpanKey(Rule rule, string path, long offset, UInt128 traceId, ulong spanId, string message)
    {
        Span<byte> traceBytes = stackalloc byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt128BigEndian(traceBytes, traceId);
        return new Finding(rule, path, offset, Convert.ToHexStringLower(traceBytes), spanId.ToString("x16", null), message);
    }
}

/// <summary>The totals of docs/rules.md "Counting".</summary>
/// <param name="TracesWithFindings">Traces with a finding on one of their spans or on the trace itself.</param>
public sealed record ValidationTotals(long Spans, long Traces, long InvalidSpans, long Errors, long Warnings, long TracesWithFindings = 0)
{
    /// <summary>Spans with no finding of their own.</summary>
    public long ValidSpans => Spans - InvalidSpans;
}

/// <summary>The outcome of validating a data set: totals, counts per rule, examples.</summary>
/// <param name="Partitions">How the span table ran: 0 in memory, else the number of trace-ID partitions (docs/scale-out.md).</param>
/// <param name="SpillBytes">Bytes written to partition files.</param>
public sealed record ValidationReport(
    IReadOnlyList<InputReport> Inputs,
    ValidationTotals Totals,
    IReadOnlyDictionary<Rule, long> RuleCounts,
    IReadOnlyList<Finding> Examples,
    TimeSpan Elapsed,
    int Partitions = 0,
    long SpillBytes = 0)
{
    /// <summary>The traces with the most errors (then warnings), at most a few: the text report's "traces" section.</summary>
    public IReadOnlyList<TraceFindings> WorstTraces { get; init; } = [];

    /// <summary>Some input could not be read completely: unreadable, unknown format or input-level findings.</summary>
    public bool HasInputErrors =>
        Inputs.Any(i => i.Error is not null) || RuleCounts.Keys.Any(r => r.IsInputRule());

    /// <summary>docs/rules.md exit code: 2 input problems, 1 span errors, 0 clean.</summary>
    public int ExitCode => HasInputErrors ? 2 : Totals.Errors > 0 ? 1 : 0;

    /// <summary>Findings of <paramref name="rule"/>; 0 when none.</summary>
    public long Count(Rule rule) => RuleCounts.TryGetValue(rule, out var count) ? count : 0;
}
