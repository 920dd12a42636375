using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using SpanRecovery.Otlp;

namespace SpanRecovery.Validation;

/// <summary>
/// The one-pass rule engine of docs/rules.md. Feed it inputs in order (<see cref="BeginInput"/>, then spans and
/// problems as the readers find them — it is their sink), then <see cref="Complete"/> resolves parent links
/// and cycles over the whole data set and builds the report. Per-span work is a few comparisons here and,
/// on a thread of its own, one or two probes of the span table — or, when the table would not fit in the
/// memory limit, one append to a partition file (<see cref="TraceTables"/>); nothing is allocated per span.
/// Readers that frame whole records hand them over a buffer at a time, and it parses them on two cores
/// (<see cref="ParallelRecordParser"/>), with the report of parsing them on one.
/// </summary>
public sealed class DataIntegrityValidator : ISpanSink, IRecordBatchSink, IDisposable
{
    private readonly ValidationOptions _options;
    private readonly SpanRules _spanRules;
    private readonly TraceTables _tables;
    private ParallelRecordParser? _parallel;
    private readonly List<InputState> _inputs = [];
    private readonly long[] _ruleCounts = new long[Rules.Count];
    private readonly List<Finding> _examples = [];
    private readonly Stopwatch _stopwatch = Stopwatch.StartNew();
    private long _spans;
    private long _invalidSpans;
    private long _recordOffset;
    private int _ordinalInRecord;
    private readonly int _firstInput;
    private bool _completed;

    /// <summary>A validator for one data set; feed it with <see cref="TraceFileReader"/> between <see cref="BeginInput"/> and <see cref="EndInput"/>.</summary>
    public DataIntegrityValidator(ValidationOptions? options = null)
        : this(options, firstInput: 0)
    {
    }

    /// <param name="firstInput">The data-set index of the first input this validator reads (a shard map task's slice).</param>
    internal DataIntegrityValidator(ValidationOptions? options, int firstInput)
    {
        _firstInput = firstInput;
        _options = options ?? new ValidationOptions();
        _tables = new TraceTables(_options);
        _spanRules = new SpanRules(_options);
    }

    /// <summary>Stops the parsing and table threads and removes spill files.</summary>
    public void Dispose()
    {
        _parallel?.Dispose();
        _tables.Dispose();
    }

    /// <summary>Spans read so far, for progress displays.</summary>
    public long SpansRead => Volatile.Read(ref _spans);

    /// <summary>Starts the next input; spans and problems from now on belong to it.</summary>
    public void BeginInput(string path, long bytes)
    {
        if (_firstInput + _inputs.Count >= PartitionFile.MaxInputs - 1)
            throw new InvalidOperationException($"more than {PartitionFile.MaxInputs - 1} inputs in one data set");
        _inputs.Add(new InputState(path, bytes));
        _recordOffset = -1;
    }

    /// <summary>Records what the reader detected about the current input.</summary>
    public void EndInput(InputDescription description)
    {
        var input = Current;
        input.Format = description.Framing?.Name();
        input.Compression = description.Framing is null ? null : description.Compression.Name();
    }

    /// <summary>Counts an input problem: an unreadable input, or a record that could not be read.</summary>
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

    /// <summary>Checks one span and enters it in the span table.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void OnSpan(in SpanView span)
    {
        _spans++;
        Current.Spans++;
        var found = new RuleSet();
        var ordinal = OrdinalInRecord(span.RecordOffset);
        if (CheckSpan(span, InputIndex, ordinal, ref found, out var pending))
            _tables.Add(pending);

        if (found.IsEmpty)
            return;
        _options.FindingObserver?.OnSpanFindings(InputIndex, span.RecordOffset, ordinal, found);
        if (found.HasError)
            _invalidSpans++;
        foreach (var rule in found)
        {
            if (CountFinding(rule))
                _examples.Add(new Finding(rule, Current.Path, span.RecordOffset, Convert.ToHexStringLower(span.TraceId), Convert.ToHexStringLower(span.SpanId), Describe(rule, span)));
        }
    }

    /// <summary>
    /// Adds the rules the span breaks on its own to <paramref name="found"/> and, when its trace ID is well
    /// formed, makes what the table rules need of it. Reads nothing that changes while reading, so
    /// <see cref="ParallelRecordParser"/> calls it from two threads.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool CheckSpan(in SpanView span, int input, int ordinal, ref RuleSet found, out PendingSpan pending)
    {
        var (traceOk, spanOk, parent) = _spanRules.Check(span, ref found);
        if (!traceOk)
        {
            pending = default;
            return false;
        }

        // A span without a usable span_id enters no table, but its trace still counts, and so do its findings.
        // An unfollowable parent travels as the span's own ID.
        var spanId = spanOk ? BinaryPrimitives.ReadUInt64BigEndian(span.SpanId) : 0;
        pending = new PendingSpan(BinaryPrimitives.ReadUInt128BigEndian(span.TraceId), spanId, parent ?? spanId,
            PendingSpan.Fold(span.ContentHash), input, span.RecordOffset, ordinal, found.HasError, TraceOnly: !spanOk,
            span.StartTimeUnixNano, span.EndTimeUnixNano, span.Kind, found.Bits);
        return true;
    }

    /// <summary>
    /// A record whose spans broke no rule on their own, checked on another thread: they are counted and go to
    /// the tables in input order, exactly as <see cref="OnSpan"/> would have done one by one.
    /// </summary>
    internal void AddCheckedRecord(long recordOffset, ReadOnlySpan<PendingSpan> spans)
    {
        if (spans.IsEmpty)
            return;
        _spans += spans.Length;
        Current.Spans += spans.Length;
        _recordOffset = recordOffset;
        _ordinalInRecord = spans.Length - 1;
        foreach (ref readonly var span in spans)
            _tables.Add(span);
    }

    /// <summary>The data-set index of the input being read.</summary>
    internal int InputIndex => _firstInput + _inputs.Count - 1;

    void IRecordSink.OnFormat(InputDescription format)
    {
        // Spans are the same whatever the format.
    }

    void IRecordSink.OnRecord(ReadOnlySpan<byte> record, long offset, RecordEncoding encoding) =>
        new SpanParsingSink<DataIntegrityValidator>(this).OnRecord(record, offset, encoding);

    int IRecordBatchSink.OnRecords(List<FramedRecord> records, RecordEncoding encoding)
    {
        _parallel ??= new ParallelRecordParser(this, _options.ParallelChunkBytes);
        return _parallel.Parse(records, encoding);
    }

    /// <summary>Resolves parents and cycles over everything read and returns the report.</summary>
    public ValidationReport Complete(CancellationToken cancellationToken = default)
    {
        var single = FinishReading();
        var (table, spillBytes) = _tables.Complete(cancellationToken);
        return single.ToReport(table, _stopwatch.Elapsed, _tables.Partitions, spillBytes);
    }

    /// <summary>
    /// Ends the reading pass: what the single-span and input rules found. The table rules' spans are then in
    /// <see cref="Tables"/> (a shard map task ships its partition files instead of completing them).
    /// </summary>
    internal SinglePassOutcome FinishReading()
    {
        if (_completed)
            throw new InvalidOperationException("the data set was already completed: a validator checks one data set once");
        _completed = true;
        var counts = new Dictionary<Rule, long>();
        for (var i = 0; i < _ruleCounts.Length; i++)
        {
            if (_ruleCounts[i] > 0)
                counts[(Rule)i] = _ruleCounts[i];
        }

        var inputs = _inputs.Select(i => new InputReport(i.Path, i.Format, i.Compression, i.Bytes, i.Spans, i.Error)).ToList();
        return new SinglePassOutcome(_firstInput, inputs, _spans, _invalidSpans, counts, _examples);
    }

    internal TraceTables Tables => _tables;

    /// <summary>The span's place among its record's spans: a record's spans arrive together, in reading order.</summary>
    private int OrdinalInRecord(long recordOffset)
    {
        if (recordOffset == _recordOffset)
            return ++_ordinalInRecord;
        _recordOffset = recordOffset;
        return _ordinalInRecord = 0;
    }

    private InputState Current => _inputs.Count > 0 ? _inputs[^1] : throw new InvalidOperationException("BeginInput was not called");

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
        Rule.LinkInvalid => "a link's trace_id or span_id is not a well-formed ID",
        Rule.EventOutsideSpan => "an event's time is outside the span's start and end, by more than the skew tolerance",
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
