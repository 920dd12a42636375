using System.Buffers.Binary;
using SpanRecovery.Otlp;
using SpanRecovery.Validation;

namespace SpanRecovery.Tests.Validation;

/// <summary>Runs <see cref="DataIntegrityValidator"/> over in-memory <see cref="TestSpan"/>s, as one input.</summary>
public static class ValidatorHarness
{
    public const string InputPath = "mem";

    /// <summary>The record offset given to the span at <paramref name="index"/> of an input.</summary>
    public static long OffsetOf(int index) => 1000L + (100L * index);

    public static ValidationReport Run(IEnumerable<TestSpan> spans, ValidationOptions? options = null)
    {
        var validator = new DataIntegrityValidator(options);
        AddInput(validator, InputPath, spans);
        return validator.Complete();
    }

    /// <summary>One input: BeginInput, every span in order, EndInput.</summary>
    public static void AddInput(DataIntegrityValidator validator, string path, IEnumerable<TestSpan> spans)
    {
        ArgumentNullException.ThrowIfNull(validator);
        ArgumentNullException.ThrowIfNull(spans);
        validator.BeginInput(path, 0);
        var index = 0;
        foreach (var span in spans)
            validator.OnSpan(View(span, OffsetOf(index++)));

        validator.EndInput(new InputDescription(RecordFraming.LengthPrefixed, InputCompression.None));
    }

    /// <summary>The span as a reader would give it: events and links summarized as the readers do.</summary>
    public static SpanView View(TestSpan span, long offset)
    {
        ArgumentNullException.ThrowIfNull(span);
        var extras = default(SpanExtras);
        foreach (var time in span.EventTimes ?? [])
            extras.AddEventTime(time);
        foreach (var link in span.Links ?? [])
            extras.AddLink(link.TraceId, link.SpanId);
        return new SpanView(span.TraceId, span.SpanId, span.ParentSpanId, span.Start, span.End, span.ContentHash, offset, span.Problems, span.Kind, extras);
    }

    /// <summary>Totals and rule counts in one comparable line.</summary>
    public static string Summary(ValidationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var t = report.Totals;
        return Summary(t.Spans, t.Traces, t.ValidSpans, t.InvalidSpans, t.Errors, t.Warnings, t.TracesWithFindings, report.RuleCounts);
    }

    public static string Summary(NaiveResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return Summary(result.Spans, result.Traces, result.ValidSpans, result.InvalidSpans, result.Errors, result.Warnings, result.TracesWithFindings.Count, result.RuleCounts);
    }

    private static string Summary(long spans, long traces, long valid, long invalid, long errors, long warnings, long tracesWithFindings, IReadOnlyDictionary<Rule, long> counts) =>
        $"spans {spans} traces {traces} valid {valid} invalid {invalid} errors {errors} warnings {warnings} traces-with-findings {tracesWithFindings} |"
        + string.Concat(counts.Where(c => c.Value != 0).OrderBy(c => c.Key).Select(c => $" {c.Key.Id()}={c.Value}"));
}

/// <summary>Readable IDs and spans for the focused tests.</summary>
internal static class Make
{
    /// <summary>2024-01-01T00:00:00Z in Unix nanoseconds: well inside the valid range.</summary>
    public const ulong T0 = 1_704_067_200UL * 1_000_000_000;

    public const ulong Second = 1_000_000_000;

    public static readonly byte[] None = [];

    /// <summary>A well-formed trace ID ending in <paramref name="n"/> (n = 0 gives the all-zero ID).</summary>
    public static byte[] Trace(ulong n)
    {
        var id = new byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(id.AsSpan(8), n);
        return id;
    }

    /// <summary>A span ID of value <paramref name="n"/> (n = 0 gives the all-zero ID).</summary>
    public static byte[] Span(ulong n)
    {
        var id = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(id, n);
        return id;
    }

    /// <summary>A valid one-second span of trace 1 (unless given), parent <paramref name="parent"/> (0 = root).</summary>
    public static TestSpan Ok(ulong span, ulong parent = 0, ulong trace = 1, ulong hash = 7) =>
        new(Trace(trace), Span(span), parent == 0 ? None : Span(parent), T0, T0 + Second, hash);
}
