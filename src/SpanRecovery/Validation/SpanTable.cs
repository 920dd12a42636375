using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace SpanRecovery.Validation;

/// <summary>
/// Every span with a well-formed key, in one compact table keyed by (trace_id, span_id): 48-byte entries
/// stored densely in fixed-size chunks (no per-span objects, no doubling copies of the entries), found
/// through a <see cref="TaggedIndex"/> of 5-byte slots — about 50–60 bytes per span in all. A second index
/// over the same entries finds the first span of each trace, which counts distinct traces. Parent links are
/// resolved after the last span is in (<see cref="ResolveParents"/>), since a parent may come later.
/// </summary>
internal sealed class SpanTable
{
    private const int ChunkBits = 16;
    private const int ChunkSize = 1 << ChunkBits;
    private const ulong ResolvedFlag = 1UL << 63;

    private readonly TaggedIndex _spanIndex = new();
    private readonly TaggedIndex _traceIndex = new();
    private Entry[][] _chunks = [];

    public int Count { get; private set; }

    public int TraceCount => _traceIndex.Count;

    /// <summary>
    /// Adds a span unless its key is already present; then returns the index of the earlier span instead.
    /// <paramref name="parentSpanId"/> is 0 for a root (or a parent that cannot be followed);
    /// <paramref name="contentHash"/> is the folded hash of <see cref="PendingSpan.Fold"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryAdd(UInt128 traceId, ulong spanId, ulong parentSpanId, uint contentHash, int record, bool invalid, out int existing)
    {
        var spanHash = SpanHash(traceId, spanId);
        var spanMatch = new SpanKeyMatch(this, traceId, spanId);
        existing = _spanIndex.Find(spanHash, ref spanMatch, out var freeSlot);
        if (existing >= 0)
            return false;

        var index = Count;
        if ((index >> ChunkBits) == _chunks.Length)
            Array.Resize(ref _chunks, _chunks.Length + 1);
        ref var chunk = ref _chunks[index >> ChunkBits];
        chunk ??= new Entry[ChunkSize];
        chunk[index & (ChunkSize - 1)] = new Entry(traceId, spanId, parentSpanId, contentHash, record, invalid);
        Count++;
        var rehashSpans = new SpanKeyHash(this);
        _spanIndex.Insert(spanHash, index, freeSlot, ref rehashSpans);

        var traceHash = TraceHash(traceId);
        var traceMatch = new TraceKeyMatch(this, traceId);
        if (_traceIndex.Find(traceHash, ref traceMatch, out var freeTraceSlot) < 0)
        {
            var rehashTraces = new TraceKeyHash(this);
            _traceIndex.Insert(traceHash, index, freeTraceSlot, ref rehashTraces);
        }

        return true;
    }

    /// <summary>Starts loading what <see cref="TryAdd"/> of this key will touch (see <see cref="TaggedIndex.Prefetch"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Prefetch(UInt128 traceId, ulong spanId)
    {
        _spanIndex.Prefetch(SpanHash(traceId, spanId));
        _traceIndex.Prefetch(TraceHash(traceId));
    }

    public bool ContainsTrace(UInt128 traceId)
    {
        var match = new TraceKeyMatch(this, traceId);
        return _traceIndex.Find(TraceHash(traceId), ref match, out _) >= 0;
    }

    public ref readonly Entry this[int index] => ref _chunks[index >> ChunkBits][index & (ChunkSize - 1)];

    /// <summary>
    /// Replaces each entry's parent span ID by the parent's entry index, calling
    /// <paramref name="parentNotFound"/> for spans whose parent is not in the table. After this,
    /// <see cref="ParentOf"/> follows links without hashing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void ResolveParents(Action<int> parentNotFound)
    {
        const int PrefetchDistance = 16; // lookups are latency bound: start the one 16 entries ahead
        for (var i = 0; i < Count; i++)
        {
            if (i + PrefetchDistance < Count)
            {
                ref readonly var ahead = ref this[i + PrefetchDistance];
                if (ahead.ParentSpanId != 0)
                    _spanIndex.Prefetch(SpanHash(ahead.TraceId, ahead.ParentSpanId));
            }

            ref var entry = ref _chunks[i >> ChunkBits][i & (ChunkSize - 1)];
            if (entry.ParentSpanId == 0)
                continue;
            var match = new SpanKeyMatch(this, entry.TraceId, entry.ParentSpanId);
            var parent = _spanIndex.Find(SpanHash(entry.TraceId, entry.ParentSpanId), ref match, out _);
            if (parent < 0)
                parentNotFound(i);
            entry.ParentSpanId = parent < 0 ? 0 : ResolvedFlag | (uint)parent;
        }
    }

    /// <summary>The parent's index after <see cref="ResolveParents"/>, or -1 for a root or a missing parent.</summary>
    public int ParentOf(int index)
    {
        var parent = this[index].ParentSpanId;
        return parent == 0 ? -1 : (int)(uint)parent;
    }

    // IDs are random in real data but not in tests and some fixtures (0000…0002), so every bit is mixed in
    // before the index takes its tag and group bits from the result.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong SpanHash(UInt128 traceId, ulong spanId) =>
        Mix((ulong)traceId ^ BitOperations.RotateLeft((ulong)(traceId >> 64), 29) ^ (spanId * 0x9E3779B97F4A7C15));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong TraceHash(UInt128 traceId) =>
        Mix((ulong)traceId ^ BitOperations.RotateLeft((ulong)(traceId >> 64), 29));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix(ulong x)
    {
        x ^= x >> 33;
        x *= 0xFF51AFD7ED558CCD;
        x ^= x >> 33;
        x *= 0xC4CEB9FE1A85EC53;
        x ^= x >> 33;
        return x;
    }

    private readonly struct SpanKeyMatch(SpanTable table, UInt128 traceId, ulong spanId) : IIndexMatch
    {
        public bool Matches(int reference)
        {
            ref readonly var entry = ref table[reference];
            return entry.SpanId == spanId && entry.TraceId == traceId;
        }
    }

    private readonly struct TraceKeyMatch(SpanTable table, UInt128 traceId) : IIndexMatch
    {
        public bool Matches(int reference) => table[reference].TraceId == traceId;
    }

    private readonly struct SpanKeyHash(SpanTable table) : IReferenceHash
    {
        public ulong HashOf(int reference) => SpanHash(table[reference].TraceId, table[reference].SpanId);

        public void Prefetch(int reference) => table.PrefetchEntry(reference);
    }

    private readonly struct TraceKeyHash(SpanTable table) : IReferenceHash
    {
        public ulong HashOf(int reference) => TraceHash(table[reference].TraceId);

        public void Prefetch(int reference) => table.PrefetchEntry(reference);
    }

    /// <summary>A prefetch never faults, so an address the GC might move right after is harmless.</summary>
    private unsafe void PrefetchEntry(int index)
    {
        if (Sse.IsSupported)
            Sse.Prefetch0(Unsafe.AsPointer(ref _chunks[index >> ChunkBits][index & (ChunkSize - 1)]));
    }

    /// <summary>
    /// One span in 40 bytes: its key, its parent link, a 32-bit hash of its content (for telling identical
    /// repeats from conflicting ones), the ordinal of the record it was read from (see
    /// <see cref="RecordLocations"/>) and whether it already has an error. The trace ID is two longs, not a
    /// <see cref="UInt128"/>, whose 16-byte alignment would pad the entry to 48 bytes.
    /// </summary>
    internal struct Entry(UInt128 traceId, ulong spanId, ulong parentSpanId, uint contentHash, int record, bool invalid)
    {
        private const uint InvalidFlag = 1u << 31;

        private readonly ulong _traceHigh = (ulong)(traceId >> 64);
        private readonly ulong _traceLow = (ulong)traceId;
        public readonly ulong SpanId = spanId;

        /// <summary>The parent's span ID while reading, its entry index | <see cref="ResolvedFlag"/> after resolving.</summary>
        public ulong ParentSpanId = parentSpanId;
        public readonly uint ContentHash = contentHash;
        private readonly uint _recordAndFlag = (uint)record | (invalid ? InvalidFlag : 0);

        public readonly UInt128 TraceId => new(_traceHigh, _traceLow);

        public readonly int Record => (int)(_recordAndFlag & ~InvalidFlag);

        public readonly bool IsInvalid => (_recordAndFlag & InvalidFlag) != 0;
    }
}
