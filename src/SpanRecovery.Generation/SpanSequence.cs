using SpanRecovery.Validation;

namespace SpanRecovery.Generation;

/// <summary>
/// The archive's spans in input order. Whole traces are built (with their defects) and kept among a few
/// dozen open traces; each next span comes from a randomly chosen open trace, so traces interleave and
/// spread over consecutive records, and across file boundaries. An archive with defects and at least
/// 100,000 spans also holds one trace larger than the validator's default <c>--max-trace-spans</c>. Depends
/// only on the span count, seed, defect rate and maximum duration, so every format holds the same spans.
/// </summary>
internal sealed class SpanSequence(GeneratorOptions options, ExpectedCountsBuilder counts)
{
    private const int OpenTraces = 64;

    /// <summary>Archives with defects and at least this many spans hold one trace too large (trace-too-large).</summary>
    private const long OversizedFromSpans = 100_000;

    public IEnumerable<GeneratedSpan> Generate()
    {
        var random = new Random(options.Seed);
        var factory = new TraceFactory(random, options.EffectiveMaxDuration);
        var defects = new DefectInjector(random, factory, options.EffectiveMaxDuration, counts);
        var open = new List<GeneratedTrace>();
        long planned = 0; // spans in traces built so far, copies and cycles included
        var oversizedPending = options.DefectRate > 0 && options.Spans >= OversizedFromSpans;
        while (true)
        {
            if (oversizedPending && planned >= options.Spans / 2)
            {
                // One trace a span over the validator's default limit, midway. Its leaves take no defect, so every one
                // of its spans enters the table and the trace gets exactly the one finding.
                oversizedPending = false;
                var oversized = factory.CreateTrace(new ValidationOptions().MaxTraceSpans + 1);
                planned += oversized.Spans.Count();
                counts.AddFindings(Rule.TraceTooLarge, 1);
                open.Add(oversized);
            }

            while (open.Count < OpenTraces && planned < options.Spans)
            {
                // The last trace is built no larger than the spans left, so exactly options.Spans are written.
                var size = (int)Math.Min(factory.NextTraceSize(), options.Spans - planned);
                var trace = factory.CreateTrace(size);
                planned += size;
                foreach (var leaf in trace.Leaves)
                {
                    // Error diffusion: a defect whenever the defective share falls behind the rate.
                    if (defects.PlannedFindings < options.DefectRate * planned)
                        planned += defects.Inject(trace, leaf, options.Spans - planned, open);
                }

                open.Add(trace);
            }

            if (open.Count == 0)
                yield break;
            var pick = random.Next(open.Count);
            var picked = open[pick];
            yield return picked.TakeNext();
            if (picked.IsDone)
            {
                open[pick] = open[^1];
                open.RemoveAt(open.Count - 1);
            }
        }
    }
}
