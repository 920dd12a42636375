using System.Buffers;
using SpanRecovery.Otlp;

namespace SpanRecovery.Restore;

/// <summary>Whether a span stays in a filtered record (point-in-time restore: it ended by the target time).</summary>
internal delegate bool SpanPredicate(in SpanView span);

/// <summary>
/// The predicate's answer for every span of one record, in reading order. The record filters ask once, while
/// the parser validates the whole record, and only then write: so a malformed record writes nothing, and the
/// predicate sees each span exactly once however often the filter walks the record afterwards.
/// </summary>
internal sealed class SpanVerdicts(SpanPredicate keep) : ISpanSink, IDisposable
{
    private bool[] _keep = ArrayPool<bool>.Shared.Rent(64);

    public int Count { get; private set; }

    public int Kept { get; private set; }

    public RecordFilterResult Result => new(Kept, Count - Kept);

    /// <summary>Whether the span at this reading-order index stays.</summary>
    public bool Keeps(int index) => _keep[index];

    public void OnSpan(in SpanView span)
    {
        if (Count == _keep.Length)
            Grow();
        var stays = keep(in span);
        _keep[Count++] = stays;
        if (stays)
            Kept++;
    }

    /// <summary>The record parsers throw instead of reporting problems; only file readers report them.</summary>
    public void OnInputProblem(InputProblem problem) =>
        throw new MalformedInputException(problem.Message, problem.Offset);

    public void Dispose() => ArrayPool<bool>.Shared.Return(_keep);

    private void Grow()
    {
        var larger = ArrayPool<bool>.Shared.Rent(_keep.Length * 2);
        _keep.AsSpan().CopyTo(larger);
        ArrayPool<bool>.Shared.Return(_keep);
        _keep = larger;
    }
}
