using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SpanRecovery.Validation;

/// <summary>Decides whether the item an index slot refers to is the one being looked up.</summary>
internal interface IIndexMatch
{
    bool Matches(int reference);
}

/// <summary>
/// An open-addressing index of int references into someone else's dense storage, laid out like a SwissTable:
/// slots in groups of 16, each with a one-byte tag (7 bits of the hash, high bit set; 0 = empty), so one
/// vector compare checks a whole group and a stored item is only touched when its tag matches (1 in 128 for
/// a miss). That keeps lookups to about one cache line of tags even at 7/8 load, which is what lets the
/// index stay small: 5 bytes a slot, 1.15–2.3 slots per item. Nothing is ever removed.
/// </summary>
internal sealed class TaggedIndex
{
    private const int GroupSize = 16;

    private byte[] _tags;
    private int[] _references;

    /// <param name="expected">Items expected: enough slots for them are made up front, so that filling the index
    /// never rehashes (each rehash reads every stored item again, at random).</param>
    public TaggedIndex(long expected = 0)
    {
        var slots = (int)Math.Min(1 << 30, BitOperations.RoundUpToPowerOf2((ulong)Math.Max(GroupSize * 64, (expected * 8 / 7) + 1)));
        _tags = new byte[slots];
        _references = new int[slots];
    }

    public int Count { get; private set; }

    /// <summary>
    /// The reference of the item with this hash that <paramref name="match"/> accepts, or -1; then
    /// <paramref name="freeSlot"/> is where <see cref="Insert"/> may put it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Find<TMatch>(ulong hash, ref TMatch match, out int freeSlot)
        where TMatch : struct, IIndexMatch
    {
        var tag = Tag(hash);
        var groupMask = (_tags.Length / GroupSize) - 1;
        var group = (int)(hash >> 7) & groupMask;
        var wanted = Vector128.Create(tag);
        while (true)
        {
            var start = group * GroupSize;
            var tags = Vector128.LoadUnsafe(ref _tags[start]);
            var hits = Vector128.Equals(tags, wanted).ExtractMostSignificantBits();
            while (hits != 0)
            {
                var slot = start + BitOperations.TrailingZeroCount(hits);
                if (match.Matches(_references[slot]))
                {
                    freeSlot = -1;
                    return _references[slot];
                }

                hits &= hits - 1;
            }

            var empty = Vector128.Equals(tags, Vector128<byte>.Zero).ExtractMostSignificantBits();
            if (empty != 0)
            {
                freeSlot = start + BitOperations.TrailingZeroCount(empty);
                return -1;
            }

            group = (group + 1) & groupMask;
        }
    }

    /// <summary>
    /// Asks the CPU to start loading the group a later <see cref="Find"/> of this hash will look at first.
    /// Lookups are memory-latency bound (a random cache line or two each); issuing the loads for a batch of
    /// keys before looking any of them up overlaps those waits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe void Prefetch(ulong hash)
    {
        if (!Sse.IsSupported)
            return;
        var start = ((int)(hash >> 7) & ((_tags.Length / GroupSize) - 1)) * GroupSize;
        // A prefetch never faults, so an address the GC might move right after is harmless.
        Sse.Prefetch0(Unsafe.AsPointer(ref _tags[start]));
        Sse.Prefetch0(Unsafe.AsPointer(ref _references[start]));
    }

    /// <summary>Stores a reference in the slot <see cref="Find"/> gave; grows (rehashing through <paramref name="hashOf"/>) when 7/8 full.</summary>
    public void Insert<THash>(ulong hash, int reference, int freeSlot, ref THash hashOf)
        where THash : struct, IReferenceHash
    {
        _tags[freeSlot] = Tag(hash);
        _references[freeSlot] = reference;
        Count++;
        if (Count * 8L > _tags.Length * 7L)
            Grow(ref hashOf);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Grow<THash>(ref THash hashOf)
        where THash : struct, IReferenceHash
    {
        var oldTags = _tags;
        var oldReferences = _references;
        _tags = new byte[oldTags.Length * 2];
        _references = new int[oldReferences.Length * 2];
        var groupMask = (_tags.Length / GroupSize) - 1;
        const int PrefetchDistance = 32; // rehashing reads the stored items at random: start those reads early
        for (var i = 0; i < oldTags.Length; i++)
        {
            if (i + PrefetchDistance < oldTags.Length && oldTags[i + PrefetchDistance] != 0)
                hashOf.Prefetch(oldReferences[i + PrefetchDistance]);
            if (oldTags[i] == 0)
                continue;
            var hash = hashOf.HashOf(oldReferences[i]);
            var group = (int)(hash >> 7) & groupMask;
            while (true)
            {
                var start = group * GroupSize;
                var empty = Vector128.Equals(Vector128.LoadUnsafe(ref _tags[start]), Vector128<byte>.Zero).ExtractMostSignificantBits();
                if (empty != 0)
                {
                    var slot = start + BitOperations.TrailingZeroCount(empty);
                    _tags[slot] = oldTags[i];
                    _references[slot] = oldReferences[i];
                    break;
                }

                group = (group + 1) & groupMask;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte Tag(ulong hash) => (byte)(hash | 0x80);
}

/// <summary>Recomputes the hash of a stored item when the index grows.</summary>
internal interface IReferenceHash
{
    ulong HashOf(int reference);

    /// <summary>Starts loading the stored item that <see cref="HashOf"/> will read soon.</summary>
    void Prefetch(int reference);
}
