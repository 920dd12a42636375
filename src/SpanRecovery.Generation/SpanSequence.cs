namespace SpanRecovery.Generation;

/// <summary>
/// The archive's spans in input order. Whole traces are built (with their defects) and kept among a few
/// dozen open traces; each next span comes from a randomly chosen open trace, so traces interleave and
/// spread over consecutive records, and across file boundaries. Depends only on the span count, seed,
/// defect rate and maximum duration, so every format holds the same spans.
/// </summary>
internal sealed class SpanSequence(GeneratorOptions options, ExpectedCountsBuilder counts)
{
    private const int OpenTraces = 64;

    public IEnumerable<GeneratedSpan> Generate()
    {
        var random = new Random(options.Seed);
        var factory = new TraceFactory(random, options.EffectiveMaxDuration);
        var defects = new DefectInjector(random, factory, options.EffectiveMaxDuration, counts);
        var open = new List<GeneratedTrace>();
        long planned = 0; // spans in traces built so far, copies and cycles included
        while (true)
        {
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
