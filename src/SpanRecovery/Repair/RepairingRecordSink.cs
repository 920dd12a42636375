using System.Buffers;
using System.Buffers.Binary;
using SpanRecovery.Otlp;
using SpanRecovery.Restore;
using SpanRecovery.Validation;

namespace SpanRecovery.Repair;

/// <summary>
/// The second pass of a repair over one input: each record is rewritten without the spans the
/// <see cref="RemovalPlan"/> names, by the same wire-level filters point-in-time restore uses (kept spans byte
/// for byte, resource and scope context kept), and written in the input's own format. The removed spans of a
/// record go, with their resource and scope, to the quarantine. A record that cannot be read is left out and
/// reported.
/// </summary>
internal sealed class RepairingRecordSink : IRecordSink
{
    private readonly int _input;
    private readonly RemovalPlan _plan;
    private readonly IRecordOutput _output;
    private readonly QuarantineWriter? _quarantine;
    private readonly SpanPredicate _keep;
    private readonly SpanPredicate _removedOnly;
    private readonly ArrayBufferWriter<byte> _filtered = new(64 * 1024);

    /// <summary>What each span of the current record is removed for (empty: kept), in reading order: the ordinals.</summary>
    private readonly List<RuleSet> _verdicts = [];
    private readonly List<RuleSet> _removed = [];
    private readonly HashSet<(UInt128, ulong)> _enteredKeysSeen = [];
    private long _offset;
    private int _replayed;

    public RepairingRecordSink(int input, RemovalPlan plan, IRecordOutput output, QuarantineWriter? quarantine)
    {
        (_input, _plan, _output, _quarantine) = (input, plan, output, quarantine);
        // The filters ask once per span, in reading order (SpanVerdicts), so the answers' count is the ordinal.
        _keep = (in SpanView span) =>
        {
            var rules = RemovedFor(span);
            _verdicts.Add(rules);
            return rules.IsEmpty;
        };
        _removedOnly = (in SpanView span) => !_verdicts[_replayed++].IsEmpty;
    }

    /// <summary>Spans of the records that could be read.</summary>
    public long SpansRead { get; private set; }

    public long SpansKept { get; private set; }

    /// <summary>Spans read from records found malformed part-way (the first pass counted them; they are left out).</summary>
    public long SpansInUnreadableRecords { get; private set; }

    public Dictionary<Rule, long> Removed { get; } = [];

    public List<InputProblem> Problems { get; } = [];

    /// <summary>Records whose removed spans could not be written to the quarantine.</summary>
    public List<string> QuarantineProblems { get; } = [];

    public void OnFormat(InputDescription format) => _output.OnFormat(format);

    public void OnRecord(ReadOnlySpan<byte> record, long offset, RecordEncoding encoding)
    {
        _offset = offset;
        _verdicts.Clear();
        _enteredKeysSeen.Clear();
        _filtered.ResetWrittenCount();
        RecordFilterResult result;
        try
        {
            result = Filter(record, offset, encoding, _keep, _filtered);
        }
        catch (MalformedInputException)
        {
            SpansInUnreadableRecords += _verdicts.Count;
            throw; // the reader reports the record as message-malformed and goes on with the next
        }

        SpansRead += _verdicts.Count;
        SpansKept += result.Kept;
        if (_filtered.WrittenCount > 0)
            _output.Write(_filtered.WrittenSpan, encoding);
        if (result.Dropped == 0)
            return;
        _removed.Clear();
        foreach (var rules in _verdicts.Where(r => !r.IsEmpty))
        {
            _removed.Add(rules);
            foreach (var rule in rules)
                Removed[rule] = Removed.GetValueOrDefault(rule) + 1;
        }

        if (_quarantine is not null)
            Quarantine(record, offset, encoding);
    }

    public void OnInputProblem(InputProblem problem) => Problems.Add(problem);

    /// <summary>The record once more, keeping only what the first filtering removed: the removed spans in their context.</summary>
    private void Quarantine(ReadOnlySpan<byte> record, long offset, RecordEncoding encoding)
    {
        _filtered.ResetWrittenCount();
        _replayed = 0;
        Filter(record, offset, encoding, _removedOnly, _filtered);
        try
        {
            _quarantine!.Write(_filtered.WrittenSpan, encoding, _removed);
        }
        catch (MalformedInputException e)
        {
            QuarantineProblems.Add($"offset {offset}: {_removed.Count} removed spans could not be quarantined: {e.Message}");
        }
    }

    private RuleSet RemovedFor(in SpanView span)
    {
        var rules = _plan.ForOrdinal(_input, _offset, _verdicts.Count);
        if (!_plan.HasEnteredSpans)
            return rules;
        // Only a span with a well-formed key can have been entered (and an entered key is never all zero).
        if (span.TraceId.Length != 16 || span.SpanId.Length != 8 || (span.EncodingProblems & (IdEncodingProblems.TraceIdNotHex | IdEncodingProblems.SpanIdNotHex)) != 0)
            return rules;
        var traceId = BinaryPrimitives.ReadUInt128BigEndian(span.TraceId);
        var spanId = BinaryPrimitives.ReadUInt64BigEndian(span.SpanId);
        var entered = _plan.ForEnteredSpan(_input, _offset, traceId, spanId);
        // The span the table holds under a key is the first well-formed span with it; later ones in the
        // same record are its duplicates, known by their ordinals.
        if (entered.IsEmpty || !_enteredKeysSeen.Add((traceId, spanId)))
            return rules;
        foreach (var rule in entered)
            rules.Add(rule);
        return rules;
    }

    private static RecordFilterResult Filter(ReadOnlySpan<byte> record, long offset, RecordEncoding encoding, SpanPredicate keep, IBufferWriter<byte> output) =>
        encoding == RecordEncoding.Json
            ? JsonRecordFilter.Filter(record, offset, keep, output, default(NoSpans))
            : ProtobufRecordFilter.Filter(record, offset, keep, output, default(NoSpans));

    /// <summary>The filters report kept spans; their counts are all a repair needs of them.</summary>
    private readonly struct NoSpans : ISpanSink
    {
        public void OnSpan(in SpanView span)
        {
        }

        public void OnInputProblem(InputProblem problem)
        {
        }
    }
}
