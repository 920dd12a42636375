using System.Buffers.Binary;
using System.IO.Hashing;
using SpanRecovery.Otlp;

namespace SpanRecovery.Restore;

/// <summary>
/// The (trace, span) IDs a restore sent, for reading them back. With a sample size, only that many traces are kept:
/// those whose trace IDs hash lowest, so the choice depends only on the traces restored, not on their order or on
/// the run. At most <see cref="MaxSpans"/> spans are kept; past that <see cref="Overflowed"/> says the set is
/// incomplete, which makes the read-back fail rather than check a silent subset. IDs of the wrong length cannot be
/// looked up in any backend and are left out.
/// </summary>
internal sealed class SentSpans(int? sampleTraces)
{
    /// <summary>About 100 MB of IDs: beyond it a sample is the only sensible read-back.</summary>
    public const int MaxSpans = 1_000_000;

    private readonly Dictionary<UInt128, HashSet<ulong>> _traces = [];
    private readonly PriorityQueue<UInt128, ulong> _highestHashFirst = new(Comparer<ulong>.Create((a, b) => b.CompareTo(a)));
    private readonly Lock _lock = new();
    private int _spans;

    /// <summary>True when more spans were sent than this set could hold.</summary>
    public bool Overflowed { get; private set; }

    /// <summary>A sink for the strict protobuf parser that adds every span it reads.</summary>
    public Collector Sink => new(this);

    /// <summary>The kept traces and their span IDs.</summary>
    public IReadOnlyDictionary<UInt128, HashSet<ulong>> Traces => _traces;

    public void Add(ReadOnlySpan<byte> traceId, ReadOnlySpan<byte> spanId)
    {
        if (traceId.Length != 16 || spanId.Length != 8)
            return;
        var trace = BinaryPrimitives.ReadUInt128BigEndian(traceId);
        var span = BinaryPrimitives.ReadUInt64BigEndian(spanId);
        lock (_lock)
        {
            if (!_traces.TryGetValue(trace, out var spans))
            {
                if (!MakeRoomFor(trace, XxHash3.HashToUInt64(traceId)))
                    return;
                _traces[trace] = spans = [];
            }

            if (_spans >= MaxSpans)
                Overflowed = true;
            else if (spans.Add(span))
                _spans++;
        }
    }

    /// <summary>Admits a new trace into the sample, evicting the trace whose hash is highest when the sample is full.</summary>
    private bool MakeRoomFor(UInt128 trace, ulong hash)
    {
        if (sampleTraces is not { } size)
            return true;
        if (_traces.Count >= size)
        {
            if (!_highestHashFirst.TryPeek(out var highest, out var highestHash) || hash >= highestHash)
                return false;
            _highestHashFirst.Dequeue();
            _spans -= _traces[highest].Count;
            _traces.Remove(highest);
        }

        _highestHashFirst.Enqueue(trace, hash);
        return true;
    }

    /// <summary>Formats a trace ID as OTLP/JSON and the backends' APIs write it: 32 lower-case hex digits.</summary>
    public static string Hex(UInt128 traceId)
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(bytes, traceId);
        return Convert.ToHexStringLower(bytes);
    }

    /// <summary>Formats a span ID: 16 lower-case hex digits.</summary>
    public static string Hex(ulong spanId) => spanId.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Feeds the spans a parser reads into the set.</summary>
    public readonly struct Collector(SentSpans spans) : ISpanSink
    {
        public void OnSpan(in SpanView span) => spans.Add(span.TraceId, span.SpanId);

        public void OnInputProblem(InputProblem problem)
        {
            // The record was checked when it was read from the backup; a problem here leaves its spans out.
        }
    }
}
