using SpanRecovery.Validation;

namespace SpanRecovery.Repair;

/// <summary>
/// The spans a repair leaves out, learnt from the first pass as the rule engine counts its findings: every span
/// with an error finding and, unless identical duplicates are kept, every byte-identical repeat — each with the
/// rules it is removed for. It holds one entry per removed span, so its memory grows with the spans removed,
/// not with the archive.
/// </summary>
internal sealed class RemovalPlan(bool keepIdenticalDuplicates) : ISpanFindingObserver
{
    private readonly Dictionary<(int Input, long Offset, int Ordinal), RuleSet> _byOrdinal = [];
    private readonly Dictionary<(int Input, long Offset, UInt128 TraceId, ulong SpanId), RuleSet> _entered = [];
    private readonly Lock _lock = new();

    /// <summary>Some removed span is known by its key (a span on a parent cycle), not by its ordinal.</summary>
    public bool HasEnteredSpans => _entered.Count > 0;

    public void OnSpanFindings(int input, long offset, int ordinal, RuleSet rules)
    {
        var removedFor = RemovalReasons(rules);
        if (!removedFor.IsEmpty)
            Add(_byOrdinal, (input, offset, ordinal), removedFor);
    }

    public void OnTableFinding(in TableFinding finding)
    {
        if (!Removes(finding.Rule))
            return;
        var rules = default(RuleSet);
        rules.Add(finding.Rule);
        if (finding.Ordinal == TableFinding.EnteredSpan)
            Add(_entered, (finding.Input, finding.Offset, finding.TraceId, finding.SpanId), rules);
        else
            Add(_byOrdinal, (finding.Input, finding.Offset, finding.Ordinal), rules);
    }

    /// <summary>The rules the span at this ordinal of a record is removed for; empty when it stays.</summary>
    public RuleSet ForOrdinal(int input, long offset, int ordinal) =>
        _byOrdinal.TryGetValue((input, offset, ordinal), out var rules) ? rules : default;

    /// <summary>The rules the span entered in the table under this key, read in this record, is removed for.</summary>
    public RuleSet ForEnteredSpan(int input, long offset, UInt128 traceId, ulong spanId) =>
        _entered.TryGetValue((input, offset, traceId, spanId), out var rules) ? rules : default;

    private bool Removes(Rule rule) =>
        rule == Rule.DuplicateSpanIdentical ? !keepIdenticalDuplicates : rule.Severity() == Severity.Error && !rule.IsInputRule();

    private RuleSet RemovalReasons(RuleSet rules)
    {
        var reasons = default(RuleSet);
        foreach (var rule in rules)
        {
            if (Removes(rule))
                reasons.Add(rule);
        }

        return reasons;
    }

    private void Add<TKey>(Dictionary<TKey, RuleSet> removals, TKey key, RuleSet rules)
        where TKey : notnull
    {
        // Partitions are checked in parallel; the first pass's reading thread adds single-span findings.
        lock (_lock)
        {
            removals.TryGetValue(key, out var known);
            foreach (var rule in rules)
                known.Add(rule);
            removals[key] = known;
        }
    }
}
