using Google.Protobuf;
using OpenTelemetry.Proto.Trace.V1;
using SpanRecovery.Validation;

namespace SpanRecovery.Generation;

/// <summary>
/// Gives leaf spans one defect each, cycling through the span rules of docs/rules.md, and records the findings
/// each defect causes. Defects cannot interact: only leaves are changed (no span names them as parent, so
/// a broken ID or parent link affects no other span), a leaf gets at most one defect, copies are made of
/// clean leaves only and written after their original, and a cycle is a separate trace of its own.
/// </summary>
internal sealed class DefectInjector(Random random, TraceFactory factory, TimeSpan maxDuration, ExpectedCountsBuilder counts)
{
    private static readonly Rule[] Kinds =
    [
        Rule.TraceIdMissing, Rule.TraceIdInvalidLength, Rule.TraceIdZero,
        Rule.SpanIdMissing, Rule.SpanIdInvalidLength, Rule.SpanIdZero,
        Rule.ParentIdInvalidLength, Rule.ParentIdZero, Rule.ParentIsSelf,
        Rule.StartTimeMissing, Rule.EndTimeMissing, Rule.EndBeforeStart, Rule.TimestampOutOfRange, Rule.DurationTooLong,
        Rule.DuplicateSpan, Rule.DuplicateSpanIdentical, Rule.ParentNotFound, Rule.ParentCycle,
    ];

    private const ulong Millisecond = 1_000_000;
    private static readonly ulong FarFutureUnixNano = TraceFactory.UnixNanos(new DateTime(2150, 1, 1, 0, 0, 0, DateTimeKind.Utc));

    private readonly ulong tooLongNanos = (ulong)(maxDuration + TimeSpan.FromHours(1)).Ticks * 100;
    private int nextKind;

    /// <summary>Spans that carry a defect so far (a copy or a cycle span counts, its original does not).</summary>
    public long DefectiveSpans { get; private set; }

    /// <summary>
    /// Applies the next kind of defect to <paramref name="leaf"/>, or for parent-cycle adds a cycle trace to
    /// <paramref name="traces"/>. Kinds that add spans are skipped when fewer than they need are left in
    /// <paramref name="room"/>. Returns the number of spans added.
    /// </summary>
    public int Inject(GeneratedTrace trace, Span leaf, long room, List<GeneratedTrace> traces)
    {
        var kind = NextKind(room);
        switch (kind)
        {
            case Rule.DuplicateSpan or Rule.DuplicateSpanIdentical:
                var copy = leaf.Clone();
                if (kind == Rule.DuplicateSpan)
                    copy.Name += " (conflicting)";
                trace.InsertCopyAfter(leaf, copy, random);
                return Record(kind, 1);
            case Rule.ParentCycle:
                var length = (int)Math.Min(random.Next(2, 4), room);
                traces.Add(factory.CreateCycle(length));
                return Record(kind, length);
            default:
                Change(leaf, kind, trace);
                Record(kind, 1);
                return 0;
        }
    }

    private Rule NextKind(long room)
    {
        while (true)
        {
            var kind = Kinds[nextKind];
            nextKind = (nextKind + 1) % Kinds.Length;
            var spansNeeded = kind switch
            {
                Rule.DuplicateSpan or Rule.DuplicateSpanIdentical => 1,
                Rule.ParentCycle => 2,
                _ => 0,
            };
            if (spansNeeded <= room)
                return kind;
        }
    }

    private int Record(Rule rule, int spans)
    {
        counts.AddFindings(rule, spans);
        DefectiveSpans += spans;
        return spans;
    }

    /// <summary>Changes the leaf so that it breaks exactly <paramref name="rule"/> and no other rule.</summary>
    private void Change(Span leaf, Rule rule, GeneratedTrace trace)
    {
        switch (rule)
        {
            case Rule.TraceIdMissing:
                leaf.TraceId = ByteString.Empty;
                break;
            case Rule.TraceIdInvalidLength:
                leaf.TraceId = WrongLength(leaf.TraceId);
                break;
            case Rule.TraceIdZero:
                leaf.TraceId = ByteString.CopyFrom(new byte[16]);
                break;
            case Rule.SpanIdMissing:
                leaf.SpanId = ByteString.Empty;
                break;
            case Rule.SpanIdInvalidLength:
                leaf.SpanId = WrongLength(leaf.SpanId);
                break;
            case Rule.SpanIdZero:
                leaf.SpanId = ByteString.CopyFrom(new byte[8]);
                break;
            case Rule.ParentIdInvalidLength:
                leaf.ParentSpanId = WrongLength(factory.RandomBytes(8));
                break;
            case Rule.ParentIdZero:
                leaf.ParentSpanId = ByteString.CopyFrom(new byte[8]);
                break;
            case Rule.ParentIsSelf:
                leaf.ParentSpanId = leaf.SpanId;
                break;
            case Rule.ParentNotFound:
                leaf.ParentSpanId = factory.NewSpanId(trace);
                break;
            // Only a time that is present is range- and duration-checked, so a missing one is one finding.
            case Rule.StartTimeMissing:
                leaf.StartTimeUnixNano = 0;
                break;
            case Rule.EndTimeMissing:
                leaf.EndTimeUnixNano = 0;
                break;
            case Rule.EndBeforeStart:
                leaf.EndTimeUnixNano = leaf.StartTimeUnixNano - Millisecond;
                break;
            case Rule.TimestampOutOfRange:
                leaf.StartTimeUnixNano = FarFutureUnixNano + (leaf.StartTimeUnixNano - TraceFactory.BaseTimeUnixNano);
                leaf.EndTimeUnixNano = leaf.StartTimeUnixNano + Millisecond;
                break;
            case Rule.DurationTooLong:
                leaf.EndTimeUnixNano = leaf.StartTimeUnixNano + tooLongNanos;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(rule), rule, "Not a defect that changes one span.");
        }
    }

    /// <summary>The ID one byte short or one byte long.</summary>
    private ByteString WrongLength(ByteString id) => random.Next(2) == 0
        ? ByteString.CopyFrom(id.Span[..^1])
        : ByteString.CopyFrom([.. id.Span, (byte)random.Next(256)]);
}
