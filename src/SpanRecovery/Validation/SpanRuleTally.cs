using SpanRecovery.Otlp;

namespace SpanRecovery.Validation;

/// <summary>
/// Counts, per rule id, the findings of the single-span rules and of the input-level rules — validation
/// without the span table. Restore verification uses it: a restore writes a subset of captured spans and
/// never pairs spans that were not together in the source, so it can add no duplicate or cycle; what it can
/// break is a span or a record, and this sees every one of those.
/// </summary>
internal sealed class SpanRuleTally(ValidationOptions? options = null) : ISpanSink
{
    private readonly SpanRules _rules = new(options ?? new ValidationOptions());
    private readonly long[] _counts = new long[Rules.Count];

    /// <summary>Inputs that could not be read at all (no known format, I/O error).</summary>
    public long UnreadableInputs { get; private set; }

    /// <summary>Findings per rule id, rules with findings only.</summary>
    public IReadOnlyDictionary<string, long> RuleCounts =>
        Enumerable.Range(0, Rules.Count).Where(i => _counts[i] > 0).ToDictionary(i => ((Rule)i).Id(), i => _counts[i], StringComparer.Ordinal);

    public void OnSpan(in SpanView span)
    {
        var found = new RuleSet();
        _rules.Check(span, ref found);
        foreach (var rule in found)
            _counts[(int)rule]++;
    }

    public void OnInputProblem(InputProblem problem)
    {
        switch (problem.Kind)
        {
            case InputProblemKind.Unreadable:
                UnreadableInputs++;
                break;
            case InputProblemKind.FrameTruncated:
                _counts[(int)Rule.FrameTruncated]++;
                break;
            default:
                _counts[(int)Rule.MessageMalformed]++;
                break;
        }
    }
}
