using System.Buffers;

namespace SpanRecovery.Restore;

/// <summary>Where one ResourceSpans fragment of a batch body ends, and the spans it holds.</summary>
internal readonly record struct BatchFragment(int End, int Spans);

/// <summary>
/// One request body: an <c>ExportTraceServiceRequest</c> made of whole ResourceSpans fragments.
/// <see cref="Index"/> is its position in the deterministic batch sequence, the key of the resume journal.
/// The body is the first <see cref="Length"/> bytes of a pooled array, returned by <see cref="Release"/>
/// once the batch is sent or skipped (batches of megabytes would otherwise each be a new large object).
/// A batch a receiver refused as too large is sent as <see cref="Halves"/>, which keep its index.
/// </summary>
internal sealed class OtlpBatch
{
    private readonly string? _part;
    private byte[]? _pooled;

    public OtlpBatch(long index, ReadOnlySpan<byte> body, IReadOnlyList<BatchFragment> fragments, string? part = null)
    {
        Index = index;
        Length = body.Length;
        Fragments = fragments;
        Spans = fragments.Sum(f => f.Spans);
        _part = part;
        _pooled = ArrayPool<byte>.Shared.Rent(body.Length);
        body.CopyTo(_pooled);
    }

    public long Index { get; }

    public int Length { get; }

    public int Spans { get; }

    public IReadOnlyList<BatchFragment> Fragments { get; }

    /// <summary>How reports name the batch: "batch 7", or "batch 7 (half 2.1)" for a part of a split one.</summary>
    public string Name => _part is null ? $"batch {Index}" : $"batch {Index} (half {_part})";

    public byte[] Body => _pooled ?? throw new ObjectDisposedException(nameof(OtlpBatch));

    /// <summary>
    /// The batch in two parts of about half its size each, split between fragments; a single fragment is cut
    /// again by spans first. Null for a single span, which cannot be split.
    /// </summary>
    public (OtlpBatch First, OtlpBatch Second)? Halves()
    {
        if (Fragments.Count > 1)
            return HalvesByFragment(_part);
        if (Spans < 2 || Resplit() is not { } finer)
            return null;
        var halves = finer.HalvesByFragment(_part);
        finer.Release();
        return halves;
    }

    public void Release()
    {
        if (_pooled is not null)
            ArrayPool<byte>.Shared.Return(_pooled);
        _pooled = null;
    }

    private (OtlpBatch First, OtlpBatch Second) HalvesByFragment(string? part)
    {
        var cut = 1;
        while (cut < Fragments.Count - 1 && Fragments[cut - 1].End < Length / 2)
            cut++;
        return (Part(0, cut, part, 1), Part(cut, Fragments.Count, part, 2));
    }

    private OtlpBatch Part(int from, int to, string? part, int half)
    {
        var start = from == 0 ? 0 : Fragments[from - 1].End;
        var fragments = Fragments.Skip(from).Take(to - from).Select(f => f with { End = f.End - start }).ToList();
        return new OtlpBatch(Index, Body.AsSpan(start, Fragments[to - 1].End - start), fragments, part is null ? $"{half}" : $"{part}.{half}");
    }

    /// <summary>The body cut into fragments of at most half its size (a single span larger than that stays whole).</summary>
    private OtlpBatch? Resplit()
    {
        var body = new ArrayBufferWriter<byte>(Length);
        var fragments = new List<BatchFragment>();
        new ResourceSpansSplitter(Math.Max(1, Length / 2)).Split(Body.AsSpan(0, Length), (fragment, spans) =>
        {
            body.Write(fragment);
            fragments.Add(new BatchFragment(body.WrittenCount, spans));
        });
        return fragments.Count > 1 ? new OtlpBatch(Index, body.WrittenSpan, fragments) : null;
    }
}
