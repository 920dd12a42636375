using System.Runtime.CompilerServices;

namespace SpanRecovery.Validation;

/// <summary>
/// The rules that need every span of a trace at once (docs/rules.md): duplicates and shared span IDs as spans
/// enter the <see cref="SpanTable"/>; then, once the last span is in, parent links, the parent/child time
/// rules, cycles and the trace-level rules; and last, which traces have findings. Given all spans of some
/// traces in input order, it finds exactly what it would find in the whole data set for those traces; that
/// is what lets a data set be checked partition by partition.
/// </summary>
internal sealed class TableRules : ISpanBatchTarget
{
    private const int PrefetchGroup = 32;

    private readonly SpanTable _table;
    private readonly RecordLocations _records = new();
    private readonly FirstFindings _examples;
    private readonly long[] _counts = new long[Rules.Count];
    private readonly ulong _skewToleranceNanos;
    private readonly int _maxTraceSpans;

    /// <summary>The rules each entered span broke (its own, then the table's), by entry index; spans without findings are not here.</summary>
    private readonly List<(int Entry, uint Rules)> _entryRules = [];

    /// <summary>Spans that entered no table: the later copy of a key (with the rule that found it) and spans without a usable span_id.</summary>
    private readonly List<(PendingSpan Span, Rule? Found)> _notEntered = [];
    private readonly ISpanFindingObserver? _observer;
    private long _newlyInvalid;

    /// <param name="expectedSpans">About how many spans will enter (0: unknown), so the table is sized for them once.</param>
    public TableRules(ValidationOptions options, long expectedSpans = 0)
    {
        _table = new SpanTable(expectedSpans);
        _observer = options.FindingObserver;
        _examples = new FirstFindings(options.MaxExamples);
        _skewToleranceNanos = options.SkewToleranceNanos;
        _maxTraceSpans = options.MaxTraceSpans;
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
                    _notEntered.Add((span, null));
                    continue;
                }

                var record = _records.Ordinal(span.Input, span.Offset);
                if (!_table.TryAdd(span.TraceId, span.SpanId, span.ParentSpanId, span.ContentHash, record, span.IsInvalid, span.Start, span.End, span.Kind, out var first))
                    RecordRepeat(span, first);
                else if (span.Rules != 0)
                    _entryRules.Add((_table.Count - 1, span.Rules));
            }
        }
    }

    /// <summary>
    /// Every span handed in so far, as pending spans again: the entered ones in input order, then the ones that
    /// entered no table (each after its first copy, so it is found again the same way). This is how a table
    /// that outgrew its memory moves into partition files, where everything is checked again.
    /// </summary>
    public IEnumerable<PendingSpan> Drain()
    {
        var withRules = 0;
        for (var i = 0; i < _table.Count; i++)
        {
            var entry = _table[i];
            var (input, offset) = _records[entry.Record];
            var rules = withRules < _entryRules.Count && _entryRules[withRules].Entry == i ? _entryRules[withRules++].Rules : 0;
            yield return new PendingSpan(entry.TraceId, entry.SpanId, entry.ParentSpanId, entry.ContentHash, input, offset, TableFinding.EnteredSpan, entry.IsInvalid, TraceOnly: false,
                entry.Start, _table.EndOf(i), entry.Kind, rules);
        }

        foreach (var (span, _) in _notEntered)
            yield return span;
    }

    /// <summary>Resolves parents, cycles and the trace rules over everything entered; call once, after the last span.</summary>
    /// <param name="tracesOut">Given each trace with findings (docs/report-json.md, <c>--traces-out</c>).</param>
    public TableOutcome Complete(TraceLinesWriter? tracesOut = null)
    {
        var (parents, verdicts) = _table.ResolveParents(new ParentChecks(_table, _skewToleranceNanos));
        // Numbering only reads the table, so it runs on the other core while the findings so far are counted.
        var numbering = Task.Run(_table.NumberTraces);
        ReportParentChecks(verdicts);
        FindCycles(parents);
        var traces = numbering.GetAwaiter().GetResult();
        var (spans, roots) = CheckTraces(traces);
        var outcome = Summarize(traces, spans, roots, tracesOut);
        _table.Release();
        return outcome;
    }

    /// <summary>A later span with the key of an earlier one: a shared CLIENT/SERVER span, an identical repeat or a conflicting duplicate.</summary>
    private void RecordRepeat(in PendingSpan span, int first)
    {
        ref readonly var earlier = ref _table[first];
        var rule = SpanKinds.AreSharedPair(earlier.Kind, SpanKinds.Stored(span.Kind)) ? Rule.SharedSpanId
            : earlier.ContentHash == span.ContentHash ? Rule.DuplicateSpanIdentical
            : Rule.DuplicateSpan;
        Count(rule, span.Input, span.Offset, span.TraceId, span.SpanId, span.IsInvalid, span.Ordinal);
        _notEntered.Add((span, rule));
    }

    /// <summary>A finding on an entered span.</summary>
    private void Found(Rule rule, int entry)
    {
        ref readonly var found = ref _table[entry];
        var (input, offset) = _records[found.Record];
        Count(rule, input, offset, found.TraceId, found.SpanId, found.IsInvalid);
        _entryRules.Add((entry, 1u << (int)rule));
    }

    /// <summary>Where every finding of the table rules is counted, offered as an example and shown to the observer (repair).</summary>
    private void Count(Rule rule, int input, long offset, UInt128 traceId, ulong spanId, bool alreadyInvalid, int ordinal = TableFinding.EnteredSpan)
    {
        _counts[(int)rule]++;
        if (rule.Severity() == Severity.Error && !alreadyInvalid)
            _newlyInvalid++;
        var finding = new TableFinding(rule, input, offset, traceId, spanId, ordinal);
        _examples.Offer(finding);
        _observer?.OnTableFinding(finding);
    }

    /// <summary>Missing parents and the time rules between a span and its parent, judged on any thread (see <see cref="ReportParentChecks"/>).</summary>
    private readonly struct ParentChecks(SpanTable table, ulong tolerance) : IParentJudge
    {
        public const byte NotFound = 1, StartsBefore = 2, EndsAfter = 4;

        public byte ParentNotFound(int child) => NotFound;

        public byte ParentFound(int child, int parent)
        {
            ref readonly var span = ref table[child];
            ref readonly var up = ref table[parent];
            var verdict = up.Start > span.Start && up.Start - span.Start > tolerance ? StartsBefore : (byte)0;
            // Asynchronous work may outlive its caller: a PRODUCER's message is handled later, a CONSUMER handles it later.
            if (up.Kind == SpanKinds.Producer || span.Kind == SpanKinds.Consumer)
                return verdict;
            var (end, parentEnd) = (table.EndOf(child), table.EndOf(parent));
            return end > parentEnd && end - parentEnd > tolerance ? (byte)(verdict | EndsAfter) : verdict;
        }
    }

    /// <summary>The parent checks' findings, span by span in input order, as a single thread would have found them.</summary>
    private void ReportParentChecks(byte[] verdicts)
    {
        for (var i = 0; i < verdicts.Length; i++)
        {
            var verdict = verdicts[i];
            if (verdict == 0)
                continue;
            if ((verdict & ParentChecks.NotFound) != 0)
                Found(Rule.ParentNotFound, i);
            if ((verdict & ParentChecks.StartsBefore) != 0)
                Found(Rule.ChildStartsBeforeParent, i);
            if ((verdict & ParentChecks.EndsAfter) != 0)
                Found(Rule.ChildEndsAfterParent, i);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void FindCycles(int[] parentOf)
    {
        // Parents form a forest plus, possibly, cycles (each span has at most one parent). Walk each
        // unvisited span's ancestor chain marking it "on path"; meeting an "on path" span means a cycle.
        const byte Unvisited = 0, OnPath = 1, Done = 2;
        var state = new byte[parentOf.Length];
        for (var start = 0; start < parentOf.Length; start++)
        {
            var at = start;
            while (at >= 0 && state[at] == Unvisited)
            {
                state[at] = OnPath;
                at = parentOf[at];
            }

            if (at >= 0 && state[at] == OnPath)
            {
                var member = at;
                do
                {
                    Found(Rule.ParentCycle, member);
                    member = parentOf[member];
                }
                while (member != at);
            }

            for (at = start; at >= 0 && state[at] == OnPath; at = parentOf[at])
                state[at] = Done;
        }
    }

    /// <summary>Roots (several: each after the first; none: the earliest-starting span) and oversized traces.</summary>
    private (int[] Spans, int[] Roots) CheckTraces(SpanTable.TraceNumbers traces)
    {
        var spans = new int[traces.Count];
        var roots = new int[traces.Count];
        var earliest = new int[traces.Count];
        for (var i = 0; i < _table.Count; i++)
        {
            var trace = traces.Of(i);
            if (spans[trace]++ == 0 || _table[i].Start < _table[earliest[trace]].Start)
                earliest[trace] = i;
            if (_table.IsRoot(i) && ++roots[trace] > 1)
                Found(Rule.TraceMultipleRoots, i);
        }

        for (var trace = 0; trace < traces.Count; trace++)
        {
            if (roots[trace] == 0)
                Found(Rule.TraceNoRoot, earliest[trace]);
            if (spans[trace] > _maxTraceSpans)
                Found(Rule.TraceTooLarge, traces.FirstEntry(trace));
        }

        return (spans, roots);
    }

    /// <summary>
    /// Which traces have findings, from every finding on one of their spans: the table's, and the spans' own
    /// rules — also of spans that entered no table. Traces seen only through such spans are numbered after the
    /// table's. Each trace with findings goes to <paramref name="tracesOut"/>; the worst are kept for the report.
    /// </summary>
    private TableOutcome Summarize(SpanTable.TraceNumbers traces, int[] spans, int[] roots, TraceLinesWriter? tracesOut)
    {
        var outside = new Dictionary<UInt128, int>();
        var outsideIds = new List<UInt128>();
        var findings = new List<long>(); // (trace number << 5) | rule
        foreach (var (entry, rules) in _entryRules)
            AddFindings(findings, traces.Of(entry), rules);
        foreach (var (span, found) in _notEntered)
        {
            var trace = traces.Find(span.TraceId);
            if (trace < 0 && !outside.TryGetValue(span.TraceId, out trace))
            {
                outside[span.TraceId] = trace = traces.Count + outsideIds.Count;
                outsideIds.Add(span.TraceId);
            }

            AddFindings(findings, trace, span.Rules | (found is { } rule ? 1u << (int)rule : 0));
        }

        findings.Sort();
        var worst = new WorstTraces();
        long withFindings = 0;
        for (var at = 0; at < findings.Count;)
        {
            var trace = (int)(findings[at] >> 5);
            var counts = new SortedDictionary<Rule, long>();
            for (; at < findings.Count && (int)(findings[at] >> 5) == trace; at++)
            {
                var rule = (Rule)(findings[at] & 31);
                counts[rule] = counts.GetValueOrDefault(rule) + 1;
            }

            var inTable = trace < traces.Count;
            var summary = TraceFindings.From(
                inTable ? _table[traces.FirstEntry(trace)].TraceId : outsideIds[trace - traces.Count],
                inTable ? spans[trace] : 0, inTable ? roots[trace] : 0, counts);
            withFindings++;
            tracesOut?.Write(summary);
            worst.Offer(summary);
        }

        return new TableOutcome(
            Enumerable.Range(0, Rules.Count).Where(r => _counts[r] > 0).ToDictionary(r => (Rule)r, r => _counts[r]),
            _newlyInvalid, traces.Count + outsideIds.Count, withFindings, worst.Ordered(), [.. _examples.Ordered()]);
    }

    private static void AddFindings(List<long> findings, int trace, uint rules)
    {
        foreach (var rule in new RuleSet(rules))
            findings.Add(((long)trace << 5) | (long)rule);
    }
}
