namespace SpanRecovery.Validation;

/// <summary>
/// A finding of the span table's rules (duplicates, parents, cycles, traces) before it becomes a report example:
/// where the span was read, by input index, so that findings from any partition or worker compare in one
/// order. That order is input order — input, then record offset — and, within one record, trace and span ID:
/// a partition sees only some of a record's spans, so their position in the record is not known there, and
/// every mode must pick the same examples. <see cref="Ordinal"/>, the span's place among its record's spans, is
/// known for spans found as they enter the table (duplicates); a finding on a span already in the table
/// (<see cref="EnteredSpan"/>) means the first span of that record with this trace and span ID, since the first
/// well-formed span of a key is the one entered.
/// </summary>
internal readonly record struct TableFinding(Rule Rule, int Input, long Offset, UInt128 TraceId, ulong SpanId, int Ordinal = TableFinding.EnteredSpan) : IComparable<TableFinding>
{
    /// <summary>The <see cref="Ordinal"/> of a finding on the span that was entered in the table under its key.</summary>
    public const int EnteredSpan = -1;

    public int CompareTo(TableFinding other)
    {
        var order = Input.CompareTo(other.Input);
        if (order == 0)
            order = Offset.CompareTo(other.Offset);
        if (order == 0)
            order = TraceId.CompareTo(other.TraceId);
        return order != 0 ? order : SpanId.CompareTo(other.SpanId);
    }

    public string Message => Rule switch
    {
        Rule.DuplicateSpanIdentical => "an identical span came earlier (exporter retry?)",
        Rule.DuplicateSpan => "a span with the same trace_id and span_id but different content came earlier",
        Rule.ParentCycle => "the span's ancestors lead back to it",
        Rule.SharedSpanId => "a CLIENT and a SERVER span share this span ID (Zipkin style); the earlier one is kept",
        Rule.ChildStartsBeforeParent => "starts before its parent starts, by more than the skew tolerance",
        Rule.ChildEndsAfterParent => "ends after its parent ends, by more than the skew tolerance",
        Rule.TraceNoRoot => "its trace has no root span (this is the trace's earliest-starting span)",
        Rule.TraceMultipleRoots => "another root of the same trace came earlier",
        Rule.TraceTooLarge => "its trace has more spans than --max-trace-spans (this is the trace's first span)",
        _ => "no span of the same trace has the parent's span ID",
    };
}

/// <summary>
/// The first <c>limit</c> findings of each table rule in <see cref="TableFinding"/> order, from findings that
/// arrive in any order: a max-heap per rule, so a finding later than the kept ones costs one comparison.
/// </summary>
internal sealed class FirstFindings(int limit)
{
    private readonly Dictionary<Rule, PriorityQueue<TableFinding, TableFinding>> _kept = [];

    public void Offer(in TableFinding finding)
    {
        if (limit <= 0)
            return;
        if (!_kept.TryGetValue(finding.Rule, out var heap))
            _kept[finding.Rule] = heap = new PriorityQueue<TableFinding, TableFinding>(Comparer<TableFinding>.Create((a, b) => b.CompareTo(a)));
        if (heap.Count < limit)
            heap.Enqueue(finding, finding);
        else if (finding.CompareTo(heap.Peek()) < 0)
            heap.EnqueueDequeue(finding, finding);
    }

    public void OfferAll(IEnumerable<TableFinding> findings)
    {
        foreach (var finding in findings)
            Offer(finding);
    }

    /// <summary>The kept findings, rule by rule, each rule's in order.</summary>
    public IEnumerable<TableFinding> Ordered() =>
        _kept.OrderBy(k => k.Key).SelectMany(k => k.Value.UnorderedItems.Select(i => i.Element).Order());
}
