using OpenTelemetry.Proto.Trace.V1;
using SpanRecovery.Validation;

namespace SpanRecovery.Generation;

/// <summary>
/// Collects the expected counts: findings as the defects are made (each defect is planned so that it causes
/// exactly the findings recorded here), spans and trace IDs from the spans actually written.
/// </summary>
internal sealed class ExpectedCountsBuilder
{
    private readonly long[] findings = new long[Rules.Count];
    private readonly HashSet<UInt128> traceIds = [];
    private long spans;
    private long invalidSpans;

    /// <summary>Records that <paramref name="spanCount"/> spans each get one finding of <paramref name="rule"/>.</summary>
    public void AddFindings(Rule rule, int spanCount)
    {
        findings[(int)rule] += spanCount;
        if (rule.Severity() == Severity.Error)
            invalidSpans += spanCount;
    }

    public void AddWrittenSpan(Span span)
    {
        spans++;
        var traceId = span.TraceId.Span;
        if (traceId.Length == 16 && traceId.ContainsAnyExcept((byte)0))
            traceIds.Add(new UInt128(BitConverter.ToUInt64(traceId), BitConverter.ToUInt64(traceId[8..])));
    }

    public ExpectedCounts Build()
    {
        var rules = new Dictionary<string, long>();
        foreach (var rule in Enum.GetValues<Rule>())
        {
            if (findings[(int)rule] > 0)
                rules.Add(rule.Id(), findings[(int)rule]);
        }

        return new ExpectedCounts(spans, traceIds.Count, invalidSpans, rules);
    }
}
