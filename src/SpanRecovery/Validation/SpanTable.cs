using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace SpanRecovery.Validation;

/// <summary>
/// Every span with a well-formed key, in one compact table keyed by (trace_id, span_id): 52-byte entries
/// stored densely in fixed-size chunks (no per-span objects, no doubling copies of the entries), found
/// through a <see cref="TaggedIndex"/> of 5-byte slots — about 53–63 bytes per span in all. Traces are
/// numbered only once the last span is in (<see cref="NumberTraces"/>), so no trace index is kept while
/// reading; parent links are resolved then too (<see cref="ResolveParents"/>), since a parent may come later.
/// </summary>
internal sealed class SpanTable
{
    /// <summary>Records are numbered in 28 bits; the entry's other 4 bits hold the kind and the invalid flag.</summary>
    public const int MaxRecords = 1 << 28;

    // Chunks of 32768 entries (1.7 MB): big enough to be allocated rarely, small enough that the last one's unused
    // tail costs little per span.
    private const int ChunkBits = 15;
    private const int ChunkSize = 1 << ChunkBits;

    private readonly TaggedIndex _spanIndex;
    private readonly List<ulong> _longEnds = [];
    private Entry[][] _chunks = [];

    /// <param name="expectedSpans">Spans expected (0: unknown); the index is made big enough for them up front.</param>
    public SpanTable(long expectedSpans = 0) => _spanIndex = new TaggedIndex(expectedSpans);

    public int Count { get; private set; }

    /// <summary>
    /// Adds a span unless its key is already present; then returns the index of the earlier span instead.
    /// <paramref name="parentSpanId"/> is 0 for a root and the span's own ID for a parent that cannot be
    /// followed (see <see cref="PendingSpan"/>); <paramref name="contentHash"/> is the folded hash of
    /// <see cref="PendingSpan.Fold"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryAdd(UInt128 traceId, ulong spanId, ulong parentSpanId, uint contentHash, int record, bool invalid, ulong start, ulong end, int kind, out int existing)
    {
        var spanHash = SpanHash(traceId, spanId);
        var spanMatch = new SpanKeyMatch(this, traceId, spanId);
        existing = _spanIndex.Find(spanHash, ref spanMatch, out var freeSlot);
        if (existing >= 0)
            return false;

        var index = Count;
        if ((index >> ChunkBits) == _chunks.Length)
            Array.Resize(ref _chunks, Math.Max(4, _chunks.Length * 2));
        ref var chunk = ref _chunks[index >> ChunkBits];
        // Pooled: partitioned validation builds one table per partition, and reusing the chunks of the last
        // one spares the page faults of fresh memory (entries are always written before they are read).
        chunk ??= ArrayPool<Entry>.Shared.Rent(ChunkSize);
        chunk[index & (ChunkSize - 1)] = new Entry(traceId, spanId, parentSpanId, contentHash, record, invalid, start, EndCode(start, end), kind);
        Count++;
        var rehashSpans = new SpanKeyHash(this);
        _spanIndex.Insert(spanHash, index, freeSlot, ref rehashSpans);
        return true;
    }

    /// <summary>Ends the table: its entries' memory goes back for the next table. Nothing may read it afterwards.</summary>
    public void Release()
    {
        foreach (var chunk in _chunks)
        {
            if (chunk is not null)
                ArrayPool<Entry>.Shared.Return(chunk);
        }

        _chunks = [];
        Count = 0;
    }

    /// <summary>Starts loading what <see cref="TryAdd"/> of this key will touch (see <see cref="TaggedIndex.Prefetch"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Prefetch(UInt128 traceId, ulong spanId) => _spanIndex.Prefetch(SpanHash(traceId, spanId));

    public ref readonly Entry this[int index] => ref _chunks[index >> ChunkBits][index & (ChunkSize - 1)];

    /// <summary>The span's end time, exactly as read.</summary>
    public ulong EndOf(int index)
    {
        ref readonly var entry = ref this[index];
        return (entry.EndCode & LongEndFlag) == 0 ? entry.Start + entry.EndCode : _longEnds[(int)(entry.EndCode & ~LongEndFlag)];
    }

    private const uint LongEndFlag = 1u << 31;

    /// <summary>
    /// Most spans last less than 2.1 s, so the end is kept as the duration in 31 bits; any other end (longer,
    /// before the start) goes to a side list and the entry keeps its position there.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint EndCode(ulong start, ulong end) =>
        end >= start && end - start < LongEndFlag ? (uint)(end - start) : LongEnd(end);

    /// <summary>Out of line: the rare case would otherwise keep the common one from being inlined.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private uint LongEnd(ulong end)
    {
        _longEnds.Add(end);
        return LongEndFlag | (uint)(_longEnds.Count - 1);
    }

    /// <summary>
    /// Finds each entry's parent and has <paramref name="judge"/> judge every span whose parent is found or not,
    /// in slices on all cores: the lookups are independent and only read the table. Returns the parent's entry
    /// index by entry, -1 where there is none (a root, a parent not found, or one that cannot be followed) — a
    /// flat array, so that walking ancestors (cycles) touches 4 bytes a span instead of entries scattered over
    /// the chunks — and each entry's verdict (0 for spans without a parent to follow).
    /// </summary>
    public (int[] Parents, byte[] Verdicts) ResolveParents<TJudge>(TJudge judge)
        where TJudge : struct, IParentJudge
    {
        const int SliceSize = 1 << 16;
        var parents = new int[Count];
        var verdicts = new byte[Count];
        var slices = (Count + SliceSize - 1) / SliceSize;
        if (slices <= 1)
            ResolveSlice(0, Count, judge, parents, verdicts);
        else
            Parallel.For(0, slices, slice => ResolveSlice(slice * SliceSize, Math.Min(Count, (slice + 1) * SliceSize), judge, parents, verdicts));
        return (parents, verdicts);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ResolveSlice<TJudge>(int from, int to, TJudge judge, int[] parents, byte[] verdicts)
        where TJudge : struct, IParentJudge
    {
        const int PrefetchDistance = 16; // lookups are latency bound: start the one 16 entries ahead
        for (var i = from; i < to; i++)
        {
            if (i + PrefetchDistance < to)
            {
                ref readonly var ahead = ref this[i + PrefetchDistance];
                if (ahead.ParentSpanId != 0 && ahead.ParentSpanId != ahead.SpanId)
                    _spanIndex.Prefetch(SpanHash(ahead.TraceId, ahead.ParentSpanId));
            }

            ref readonly var entry = ref this[i];
            if (entry.ParentSpanId == 0 || entry.ParentSpanId == entry.SpanId)
            {
                parents[i] = -1;
                continue;
            }

            var match = new SpanKeyMatch(this, entry.TraceId, entry.ParentSpanId);
            var parent = _spanIndex.Find(SpanHash(entry.TraceId, entry.ParentSpanId), ref match, out _);
            parents[i] = parent;
            verdicts[i] = parent < 0 ? judge.ParentNotFound(i) : judge.ParentFound(i, parent);
        }
    }

    /// <summary>The span's parent_span_id was empty or all zero.</summary>
    public bool IsRoot(int index) => this[index].ParentSpanId == 0;

    /// <summary>
    /// Numbers the traces 0, 1, … in the order of their first span, through an index that exists only for
    /// this; <see cref="TraceNumbers.Of"/> gives each entry's number.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public TraceNumbers NumberTraces()
    {
        var index = new TaggedIndex(Count / 4); // traces of a few spans each: rarely grown
        var numbers = new int[Count];
        var firsts = new List<int>();
        var rehash = new TraceKeyHash(this);
        for (var i = 0; i < Count; i++)
        {
            var traceId = this[i].TraceId;
            // A trace's spans mostly arrive together (one exporter batch), so most lookups are skipped.
            if (i > 0 && traceId == this[i - 1].TraceId)
            {
                numbers[i] = numbers[i - 1];
                continue;
            }

            var hash = TraceHash(traceId);
            var match = new TraceKeyMatch(this, traceId);
            var first = index.Find(hash, ref match, out var freeSlot);
            if (first >= 0)
            {
                numbers[i] = numbers[first];
                continue;
            }

            numbers[i] = firsts.Count;
            firsts.Add(i);
            index.Insert(hash, i, freeSlot, ref rehash);
        }

        return new TraceNumbers(this, index, numbers, firsts);
    }

    /// <summary>Each entry's trace number, the first entry of each trace, and a lookup by trace ID.</summary>
    internal sealed class TraceNumbers(SpanTable table, TaggedIndex index, int[] numbers, List<int> firsts)
    {
        public int Count => firsts.Count;

        public int Of(int entry) => numbers[entry];

        /// <summary>The first entry (in input order) of trace number <paramref name="trace"/>.</summary>
        public int FirstEntry(int trace) => firsts[trace];

        /// <summary>The number of the trace with this ID, or -1 when no entered span has it.</summary>
        public int Find(UInt128 traceId)
        {
            var match = new TraceKeyMatch(table, traceId);
            var first = index.Find(TraceHash(traceId), ref match, out _);
            return first < 0 ? -1 : numbers[first];
        }
    }

    // IDs are random in real data but not in tests and some fixtures (0000…0002), so every bit is mixed in
    // before the index takes its tag and group bits from the result.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong SpanHash(UInt128 traceId, ulong spanId) =>
        Mix((ulong)traceId ^ BitOperations.RotateLeft(TraceIdHalves.High(traceId), 29) ^ (spanId * 0x9E3779B97F4A7C15));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong TraceHash(UInt128 traceId) =>
        Mix((ulong)traceId ^ BitOperations.RotateLeft(TraceIdHalves.High(traceId), 29));

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
    /// One span in 52 bytes: its key, its parent link, its start, its end as a duration (see
    /// <see cref="EndCode"/>), a 32-bit hash of its content (for telling identical repeats from conflicting
    /// ones), the ordinal of the record it was read from (see <see cref="RecordLocations"/>), its kind and
    /// whether it already has an error. Packed to 4 bytes: the trace ID is two longs, not a
    /// <see cref="UInt128"/>, whose 16-byte alignment would pad the entry, and 8-byte alignment would add 4 more.
    /// </summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    internal struct Entry(UInt128 traceId, ulong spanId, ulong parentSpanId, uint contentHash, int record, bool invalid, ulong start, uint endCode, int kind)
    {
        private const uint InvalidFlag = 1u << 31;
        private const int KindShift = 28;

        private readonly ulong _traceHigh = TraceIdHalves.High(traceId);
        private readonly ulong _traceLow = (ulong)traceId;
        public readonly ulong SpanId = spanId;

        /// <summary>0 for a root, else the parent's span ID, or the span's own for a parent that cannot be followed.</summary>
        public readonly ulong ParentSpanId = parentSpanId;
        public readonly ulong Start = start;
        public readonly uint ContentHash = contentHash;
        public readonly uint EndCode = endCode;
        private readonly uint _recordKindAndFlag = (uint)record | ((uint)SpanKinds.Stored(kind) << KindShift) | (invalid ? InvalidFlag : 0);

        public readonly UInt128 TraceId => new(_traceHigh, _traceLow);

        public readonly int Record => (int)(_recordKindAndFlag & (MaxRecords - 1));

        /// <summary>The span kind, 0–5 (other values read as 0, unspecified).</summary>
        public readonly int Kind => (int)((_recordKindAndFlag >> KindShift) & 7);

        public readonly bool IsInvalid => (_recordKindAndFlag & InvalidFlag) != 0;
    }
}

/// <summary>
/// What <see cref="SpanTable.ResolveParents"/> makes of a span and its parent: bits of the caller's choosing. Called
/// on several threads at once, in no particular order, so it must only read.
/// </summary>
internal interface IParentJudge
{
    byte ParentFound(int child, int parent);

    byte ParentNotFound(int child);
}

/// <summary>The OTLP span kinds the rules tell apart.</summary>
internal static class SpanKinds
{
    public const int Server = 2;
    public const int Client = 3;
    public const int Producer = 4;
    public const int Consumer = 5;

    /// <summary>The kind as the span table keeps it: 0–5, anything else as 0 (unspecified).</summary>
    public static int Stored(int kind) => kind is >= 0 and <= Consumer ? kind : 0;

    /// <summary>A CLIENT and a SERVER span with one span ID: a Zipkin-style shared span, not a duplicate.</summary>
    public static bool AreSharedPair(int a, int b) => (a == Client && b == Server) || (a == Server && b == Client);
}
