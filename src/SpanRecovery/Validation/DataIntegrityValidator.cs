using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using SpanRecovery.Otlp;

namespace SpanRecovery.Validation;

/// <summary>
/// The one-pass rule engine of DESIGN §3. Feed it inputs in order (<see cref="BeginInput"/>, then spans and
/// problems as the readers find them — it is their sink), then <see cref="Complete"/> resolves parent links
/// and cycles over the whole data set and builds the report. Per-span work is a few comparisons here and,
/// on a thread of its own (<see cref="TableStage"/>), one or two probes of the <see cref="SpanTable"/>;
/// nothing is allocated per span.
/// </summary>
public sealed class DataIntegrityValidator : ISpanSink, IDisposable
{
    private readonly ValidationOptions _options;
    private readonly SpanRules _spanRules;
    private readonly SpanTable _table = new();
    private readonly RecordLocations _records = new();
    private readonly TableStage _tableStage;
    private readonly HashSet<UInt128> _tracesOutsideTable = [];
    private readonly List<InputState> _inputs = [];
    private readonly long[] _ruleCounts = new long[Rules.Count];
    private readonly List<Finding> _examples = [];
    private readonly Stopwatch _stopwatch = Stopwatch.StartNew();
    private long _spans;
    private long _invalidSpans;
    private bool _completed;

    public DataIntegrityValidator(ValidationOptions? options = null)
    {
        _options = options ?? new ValidationOptions();
        _tableStage = new TableStage(_table, _options.MaxExamples);
        _spanRules = new SpanRules(_options.MaxDuration);
    }

    /// <summary>Stops the table thread of a validator that will not be completed (an abandoned run).</summary>
    public void Dispose() => _tableStage.Dispose();

    /// <summary>Spans read so far, for progress displays.</summary>
    public long SpansRead => Volatile.Read(ref _spans);

    /// <summary>Starts the next input; spans and problems from now on belong to it.</summary>
    public void BeginInput(string path, long bytes) => _inputs.Add(new InputState(path, bytes));

    /// <summary>Records what the reader detected about the current input.</summary>
    public void EndInput(InputDescription description)
    {
        var input = Current;
        input.Format = description.Framing?.Name();
        input.Compression = description.Framing is null ? null : description.Compression.Name();
    }

    public void OnInputProblem(InputProblem problem)
    {
        if (problem.Kind == InputProblemKind.Unreadable)
        {
            Current.Error ??= problem.Message;
            return;
        }

        var rule = problem.Kind == InputProblemKind.FrameTruncated ? Rule.FrameTruncated : Rule.MessageMalformed;
        if (CountFinding(rule))
            _examples.Add(new Finding(rule, Current.Path, problem.Offset, "", "", problem.Message));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void OnSpan(in SpanView span)
    {
        _spans++;
        Current.Spans++;
        var found = new RuleSet();

        var (traceOk, spanOk, parent) = _spanRules.Check(span, ref found);

        var traceId = traceOk ? BinaryPrimitives.ReadUInt128BigEndian(span.TraceId) : default;
        if (traceOk && spanOk)
        {
            var record = _records.Ordinal(_inputs.Count - 1, span.RecordOffset);
            _tableStage.Add(new PendingSpan(traceId, BinaryPrimitives.ReadUInt64BigEndian(span.SpanId), parent, span.ContentHash,
                record, found.HasError, Current.Path, span.RecordOffset));
        }
        else if (traceOk)
        {
            _tracesOutsideTable.Add(traceId);
        }

        if (found.IsEmpty)
            return;
        if (found.HasError)
            _invalidSpans++;
        foreach (var rule in found)
        {
            if (CountFinding(rule))
                _examples.Add(new Finding(rule, Current.Path, span.RecordOffset, Convert.ToHexStringLower(span.TraceId), Convert.ToHexStringLower(span.SpanId), Describe(rule, span)));
        }
    }

    /// <summary>Resolves parents and cycles over everything read and returns the report.</summary>
    public ValidationReport Complete()
    {
        if (_completed)
            throw new InvalidOperationException("Complete was already called: a validator checks one data set once");
        _completed = true;
        _tableStage.Finish();
        _ruleCounts[(int)Rule.DuplicateSpan] += _tableStage.DuplicateSpans;
        _ruleCounts[(int)Rule.DuplicateSpanIdentical] += _tableStage.IdenticalDuplicates;
        _invalidSpans += _tableStage.NewlyInvalid;
        _examples.AddRange(_tableStage.Examples);
        _table.ResolveParents(index => RecordTableFinding(Rule.ParentNotFound, index));
        FindCycles();
        var traces = _table.TraceCount + _tracesOutsideTable.Count(t => !_table.ContainsTrace(t));
        var counts = new Dictionary<Rule, long>();
        long errors = 0, warnings = 0;
        for (var i = 0; i < _ruleCounts.Length; i++)
        {
            if (_ruleCounts[i] == 0)
                continue;
            var rule = (Rule)i;
            counts[rule] = _ruleCounts[i];
            if (rule.Severity() == Severity.Error)
                errors += _ruleCounts[i];
            else
                warnings += _ruleCounts[i];
        }

        var inputs = _inputs.Select(i => new InputReport(i.Path, i.Format, i.Compression, i.Bytes, i.Spans, i.Error)).ToList();
        return new ValidationReport(inputs, new ValidationTotals(_spans, traces, _invalidSpans, errors, warnings),
            counts, _examples.OrderBy(e => e.Rule).ToList(), _stopwatch.Elapsed);
    }

    private InputState Current => _inputs.Count > 0 ? _inputs[^1] : throw new InvalidOperationException("BeginInput was not called");

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void FindCycles()
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
                    RecordTableFinding(Rule.ParentCycle, member);
                    if (!_table[member].IsInvalid)
                        _invalidSpans++;
                    member = _table.ParentOf(member);
                }
                while (member != at);
            }

            for (at = start; at >= 0 && state[at] == OnPath; at = _table.ParentOf(at))
                state[at] = Done;
        }
    }

    private void RecordTableFinding(Rule rule, int index)
    {
        ref readonly var entry = ref _table[index];
        AddExample(rule, entry.Record, entry.TraceId, entry.SpanId,
            rule == Rule.ParentCycle ? "the span's ancestors lead back to it" : "no span of the same trace has the parent's span ID");
    }

    /// <summary>Counts a finding about a span known by its key and record, keeping it as an example if there is room.</summary>
    private void AddExample(Rule rule, int record, UInt128 traceId, ulong spanId, string message)
    {
        if (!CountFinding(rule))
            return;
        var (input, offset) = _records[record];
        _examples.Add(Finding.ForSpanKey(rule, _inputs[input].Path, offset, traceId, spanId, message));
    }

    /// <summary>Counts a finding; true when it should also be kept as an example (built only then: no allocation per finding).</summary>
    private bool CountFinding(Rule rule) => _ruleCounts[(int)rule]++ < _options.MaxExamples;

    private string Describe(Rule rule, in SpanView span) => rule switch
    {
        Rule.TraceIdMissing => "trace_id is empty",
        Rule.TraceIdInvalidLength => $"trace_id is {span.TraceId.Length} bytes, not 16",
        Rule.TraceIdZero => "trace_id is all zero",
        Rule.SpanIdMissing => "span_id is empty",
        Rule.SpanIdInvalidLength => $"span_id is {span.SpanId.Length} bytes, not 8",
        Rule.SpanIdZero => "span_id is all zero",
        Rule.IdInvalidEncoding => "an ID is not a hex string",
        Rule.ParentIdInvalidLength => $"parent_span_id is {span.ParentSpanId.Length} bytes, not 8",
        Rule.ParentIdZero => "parent_span_id is all zero (treated as a root)",
        Rule.ParentIsSelf => "parent_span_id equals the span's own span_id",
        Rule.StartTimeMissing => "start_time_unix_nano is 0",
        Rule.EndTimeMissing => "end_time_unix_nano is 0",
        Rule.EndBeforeStart => $"ends {span.StartTimeUnixNano - span.EndTimeUnixNano} ns before it starts",
        Rule.TimestampOutOfRange => "start or end is outside 2000-01-01 .. 2100-01-01",
        Rule.DurationTooLong => $"lasts {TimeSpan.FromTicks((long)((span.EndTimeUnixNano - span.StartTimeUnixNano) / 100))}, over {_options.MaxDuration}",
        _ => rule.Id(),
    };

    private sealed class InputState(string path, long bytes)
    {
        public string Path { get; } = path;

        public long Bytes { get; } = bytes;

        public long Spans { get; set; }

        public string? Format { get; set; }

        public string? Compression { get; set; }

        public string? Error { get; set; }
    }
}
