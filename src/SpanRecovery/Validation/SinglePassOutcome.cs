namespace SpanRecovery.Validation;

/// <summary>
/// What the reading pass found besides the table rules: each input as the report lists it, the spans read,
/// those made invalid by their own rules, and the counts and examples (in input order) of the single-span and
/// input rules. With a <see cref="TableOutcome"/> of the same spans it is a whole report.
/// </summary>
/// <param name="FirstInput">The data-set index of <see cref="Inputs"/>[0] (a shard map task reads a slice of the inputs).</param>
internal sealed record SinglePassOutcome(
    int FirstInput, IReadOnlyList<InputReport> Inputs, long Spans, long InvalidSpans, IReadOnlyDictionary<Rule, long> RuleCounts, IReadOnlyList<Finding> Examples)
{
    /// <summary>The outcomes of consecutive slices of the inputs as one; examples stay the first N per rule in input order.</summary>
    public static SinglePassOutcome Concat(IReadOnlyList<SinglePassOutcome> slices, int maxExamples)
    {
        var counts = new Dictionary<Rule, long>();
        foreach (var (rule, count) in slices.SelectMany(s => s.RuleCounts))
            counts[rule] = counts.GetValueOrDefault(rule) + count;
        var examples = slices.SelectMany(s => s.Examples).GroupBy(e => e.Rule).SelectMany(g => g.Take(maxExamples)).ToList();
        return new SinglePassOutcome(slices.Count == 0 ? 0 : slices[0].FirstInput, [.. slices.SelectMany(s => s.Inputs)],
            slices.Sum(s => s.Spans), slices.Sum(s => s.InvalidSpans), counts, examples);
    }

    /// <summary>The report of docs/report-json.md from this pass and the table rules' outcome over the same spans.</summary>
    internal ValidationReport ToReport(TableOutcome table, TimeSpan elapsed, int partitions, long spillBytes)
    {
        var counts = new Dictionary<Rule, long>(RuleCounts.Where(c => c.Value > 0));
        foreach (var (rule, count) in table.Counts.Where(c => c.Value > 0))
            counts[rule] = counts.GetValueOrDefault(rule) + count;

        var errors = counts.Where(c => c.Key.Severity() == Severity.Error).Sum(c => c.Value);
        var warnings = counts.Where(c => c.Key.Severity() == Severity.Warning).Sum(c => c.Value);
        var examples = Examples.Concat(table.Examples.Select(f =>
            Finding.ForSpanKey(f.Rule, Inputs[f.Input - FirstInput].Path, f.Offset, f.TraceId, f.SpanId, f.Message)));
        return new ValidationReport(Inputs, new ValidationTotals(Spans, table.Traces, InvalidSpans + table.NewlyInvalid, errors, warnings, table.TracesWithFindings),
            counts, [.. examples.OrderBy(e => e.Rule)], elapsed, partitions, spillBytes)
        { WorstTraces = table.WorstTraces };
    }
}
