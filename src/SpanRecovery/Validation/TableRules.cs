using System.Runtime.CompilerServices;

namespace SpanRecovery.Validation;

/// <summary>What the span table's rules found in one set of whole traces (all of a data set, or one partition).</summary>
internal sealed record TableOutcome(
    long DuplicateSpans, long IdenticalDuplicates, long ParentNotFound, long ParentCycles, long NewlyInvalid, long Traces,
    IReadOnlyList<TableFinding> Examples)
{
    /// <summary>The outcomes of disjoint sets of traces as one: counts add up, examples stay the first N per rule.</summary>
    public static TableOutcome Merge(IReadOnlyList<TableOutcome> outcomes, int maxExamples)
    {
        var examples = new FirstFindings(maxExamples);
        foreach (var outcome in outcomes)
            examples.OfferAll(outcome.Examples);
        return new TableOutcome(
            outcomes.Sum(o => o.DuplicateSpans), outcomes.Sum(o => o.IdenticalDuplicates), outcomes.Sum(o => o.ParentNotFound),
            outcomes.Sum(o => o.ParentCycles), outcomes.Sum(o => o.NewlyInvalid), outcomes.Sum(o => o.Traces), [.. examples.Ordered()]);
    }
}

/// <summary>
/// The rules that need every span of a trace at once (docs/rules.md): duplicates as spans enter the
/// <see cref="SpanTable"/>, then parent links and cycles once the last span is in, and the count of distinct
/// traces. Given all spans of some traces in input order, it finds exactly what it would find in the whole
/// data set for those traces; that is what lets a data set be checked partition by partition.
/// </summary>
internal sealed class TableRules : ISpanBatchTarget
{
    private const int PrefetchGroup = 32;

    private readonly SpanTable _table = new();
    private readonly RecordLocations _records = new();
    private readonly HashSet<UInt128> _tracesOutsideTable = [];
    private readonly FirstFindings _examples;
    private readonly ISpanFindingObserver? _observer;
    private long _duplicates, _identical, _newlyInvalid;

    public TableRules(int maxExamples, ISpanFindingObserver? observer = null)
    {
        _examples = new FirstFindings(maxExamples);
        _observer = observer;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Enter(ReadOnlySpan<PendingSpan> batch)
    {
        // Lookups are latency bound: the loads of a group of keys are started before the first lookup.
        for (var start = 0; start < batch.Length; start += PrefetchGroup)
        {
            var group = batch.Slice(start, Math.Min(PrefetchGroup, batch.Length - start));
            foreach (ref readonly var span in group)
                _table.Prefetch(span.TraceId, span.SpanId);
            foreach (ref readonly var span in group)
            {
                if (span.TraceOnly)
                {
                    _tracesOutsideTable.Add(span.TraceId);
                    continue;
                }

                var record = _records.Ordinal(span.Input, span.Offset);
                if (!_table.TryAdd(span.TraceId, span.SpanId, span.ParentSpanId, span.ContentHash, record, span.IsInvalid, out var first))
                    RecordDuplicate(span, _table[first].ContentHash == span.ContentHash);
            }
        }
    }

    /// <summary>
    /// Every span entered so far and every trace seen only through spans without a usable span_id, as
    /// pending spans again, in input order: how a table that outgrew its memory moves into partition files.
    /// </summary>
    public IEnumerable<PendingSpan> Drain()
    {
        for (var i = 0; i < _table.Count; i++)
        {
            var entry = _table[i];
            var (input, offset) = _records[entry.Record];
            yield return new PendingSpan(entry.TraceId, entry.SpanId, entry.ParentSpanId, entry.ContentHash, input, offset, TableFinding.EnteredSpan, entry.IsInvalid, TraceOnly: false);
        }

        foreach (var trace in _tracesOutsideTable)
            yield return new PendingSpan(trace, 0, 0, 0, 0, 0, 0, IsInvalid: false, TraceOnly: true);
    }

    /// <summary>The duplicates found so far, for a table given up by <see cref="Drain"/> (its spans are checked again elsewhere).</summary>
    public TableOutcome DuplicatesSoFar() =>
        new(_duplicates, _identical, 0, 0, _newlyInvalid, 0, [.. _examples.Ordered()]);

    /// <summary>Resolves parents and cycles over everything entered; call once, after the last span.</summary>
    public TableOutcome Complete()
    {
        long parentNotFound = 0, cycles = 0;
        _table.ResolveParents(index =>
        {
            parentNotFound++;
            Offer(Rule.ParentNotFound, index);
        });
        FindCycles(ref cycles);
        var traces = _table.TraceCount + _tracesOutsideTable.Count(t => !_table.ContainsTrace(t));
        return new TableOutcome(_duplicates, _identical, parentNotFound, cycles, _newlyInvalid, traces, [.. _examples.Ordered()]);
    }

    private void RecordDuplicate(in PendingSpan span, bool identical)
    {
        if (identical)
        {
            _identical++;
        }
        else
        {
            _duplicates++;
            if (!span.IsInvalid)
                _newlyInvalid++;
        }

        Found(new TableFinding(identical ? Rule.DuplicateSpanIdentical : Rule.DuplicateSpan, span.Input, span.Offset, span.TraceId, span.SpanId, span.Ordinal));
    }

    private void Offer(Rule rule, int index)
    {
        ref readonly var entry = ref _table[index];
        var (input, offset) = _records[entry.Record];
        Found(new TableFinding(rule, input, offset, entry.TraceId, entry.SpanId));
    }

    /// <summary>Every finding of these rules passes here: it may become an example, and the observer (repair) sees it.</summary>
    private void Found(in TableFinding finding)
    {
        _examples.Offer(finding);
        _observer?.OnTableFinding(finding);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void FindCycles(ref long cycles)
    {
        // Parents form a forest plus, possibly, cycles (each span has at most one parent). Walk each
        // unvisited span's ancestor chain marking it "on path"; meeting an "on path" span means a cycle.
        const byte Unvisited = 0, OnPath = 1, Done = 2;
        var state = new byte[_table.Count];
        for (var start = 0; start < _table.Count; start++)
        {
            var at = start;
            while (at >= 0 && state[at] == Unvisited)
            {
                state[at] = OnPath;
                at = _table.ParentOf(at);
            }

            if (at >= 0 && state[at] == OnPath)
            {
                var member = at;
                do
                {
                    cycles++;
                    Offer(Rule.ParentCycle, member);
                    if (!_table[member].IsInvalid)
                        _newlyInvalid++;
                    member = _table.ParentOf(member);
                }
                while (member != at);
            }

            for (at = start; at >= 0 && state[at] == OnPath; at = _table.ParentOf(at))
                state[at] = Done;
        }
    }
}
