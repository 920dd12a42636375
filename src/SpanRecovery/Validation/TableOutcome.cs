namespace SpanRecovery.Validation;

/// <summary>What the span table's rules found in one set of whole traces (all of a data set, or one partition).</summary>
/// <param name="Counts">Findings per table rule, rules with findings only.</param>
/// <param name="NewlyInvalid">Spans without an error of their own that the table rules gave one.</param>
/// <param name="Traces">Distinct well-formed trace IDs.</param>
/// <param name="TracesWithFindings">Traces with a finding on one of their spans or on the trace itself.</param>
/// <param name="WorstTraces">The first few traces with findings in <see cref="WorstTraces"/> order.</param>
internal sealed record TableOutcome(
    IReadOnlyDictionary<Rule, long> Counts, long NewlyInvalid, long Traces, long TracesWithFindings,
    IReadOnlyList<TraceFindings> WorstTraces, IReadOnlyList<TableFinding> Examples)
{
    /// <summary>The outcomes of disjoint sets of traces as one: counts add up, examples stay the first N per rule.</summary>
    public static TableOutcome Merge(IReadOnlyList<TableOutcome> outcomes, int maxExamples)
    {
        var examples = new FirstFindings(maxExamples);
        var worst = new WorstTraces();
        foreach (var outcome in outcomes)
        {
            examples.OfferAll(outcome.Examples);
            foreach (var trace in outcome.WorstTraces)
                worst.Offer(trace);
        }

        var counts = outcomes.SelectMany(o => o.Counts).GroupBy(c => c.Key).ToDictionary(g => g.Key, g => g.Sum(c => c.Value));
        return new TableOutcome(counts, outcomes.Sum(o => o.NewlyInvalid), outcomes.Sum(o => o.Traces), outcomes.Sum(o => o.TracesWithFindings),
            worst.Ordered(), [.. examples.Ordered()]);
    }

    /// <summary>Findings of <paramref name="rule"/>; 0 when none.</summary>
    public long Count(Rule rule) => Counts.TryGetValue(rule, out var count) ? count : 0;
}

/// <summary>
/// The traces a report names as the worst: most errors, then most warnings, then by trace ID, so that every
/// way of running (in memory, partitioned, sharded) names the same ones.
/// </summary>
internal sealed class WorstTraces
{
    public const int Kept = 5;

    private static readonly Comparer<TraceFindings> Order = Comparer<TraceFindings>.Create((a, b) =>
    {
        var order = b.Errors.CompareTo(a.Errors);
        if (order == 0)
            order = b.Warnings.CompareTo(a.Warnings);
        return order != 0 ? order : string.CompareOrdinal(a.TraceId, b.TraceId);
    });

    // A max-heap by Order: its top is the least bad of the kept ones, the first to go.
    private readonly PriorityQueue<TraceFindings, TraceFindings> _kept = new(Comparer<TraceFindings>.Create((a, b) => Order.Compare(b, a)));

    public void Offer(TraceFindings trace)
    {
        if (_kept.Count < Kept)
            _kept.Enqueue(trace, trace);
        else if (Order.Compare(trace, _kept.Peek()) < 0)
            _kept.EnqueueDequeue(trace, trace);
    }

    public IReadOnlyList<TraceFindings> Ordered() => [.. _kept.UnorderedItems.Select(i => i.Element).Order(Order)];
}
