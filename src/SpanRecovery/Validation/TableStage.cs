using System.Runtime.CompilerServices;

namespace SpanRecovery.Validation;

/// <summary>A span with a well-formed key on its way into the <see cref="SpanTable"/>, with where it was read.</summary>
internal readonly record struct PendingSpan(
    UInt128 TraceId, ulong SpanId, ulong ParentSpanId, ulong ContentHash, int Record, bool IsInvalid, string Path, long Offset);

/// <summary>
/// Enters spans into the <see cref="SpanTable"/> on a thread of its own, so that table lookups — bound by
/// memory latency — run beside parsing and the per-span rules instead of after them. Spans are handed over in
/// batches through a small ring of reused buffers, in input order and to one consumer, so duplicates are
/// decided exactly as in a single thread. Within a batch the loads of a group of keys are started before the
/// first lookup (<see cref="SpanTable.Prefetch"/>). Nothing is started until the first batch is full, so small
/// inputs never pay for a thread. The duplicate findings are kept here and merged into the report by the
/// validator once <see cref="Finish"/> has returned.
/// </summary>
internal sealed class TableStage : IDisposable
{
    private const int BatchSize = 1024;
    private const int Batches = 4;
    private const int PrefetchGroup = 32;

    private readonly SpanTable _table;
    private readonly int _maxExamples;
    private readonly PendingSpan[][] _ring = [.. Enumerable.Range(0, Batches).Select(_ => new PendingSpan[BatchSize])];
    private readonly int[] _lengths = new int[Batches];
    private readonly SemaphoreSlim _filled = new(0);
    private readonly SemaphoreSlim _free = new(Batches - 1);
    private Thread? _thread;
    private int _handedOver;
    private bool _finished;
    private Exception? _failure;
    private int _count;

    public TableStage(SpanTable table, int maxExamples)
    {
        _table = table;
        _maxExamples = maxExamples;
    }

    public long DuplicateSpans { get; private set; }

    public long IdenticalDuplicates { get; private set; }

    /// <summary>Duplicates (an error) of spans that had no error before.</summary>
    public long NewlyInvalid { get; private set; }

    public List<Finding> Examples { get; } = [];

    public void Add(in PendingSpan span)
    {
        _ring[_handedOver % Batches][_count++] = span;
        if (_count == BatchSize)
            HandOver();
    }

    /// <summary>Enters everything still pending and waits until the table is complete.</summary>
    public void Finish()
    {
        if (_finished)
            return;
        _finished = true;
        if (_thread is null)
        {
            Enter(_ring[0].AsSpan(0, _count));
            _count = 0;
            return;
        }

        if (_count > 0)
            HandOver();
        _filled.Release(); // the end: the consumer sees no batch behind this signal
        _thread.Join();
        if (_failure is not null)
            throw new InvalidOperationException("the span table stage failed", _failure);
    }

    public void Dispose()
    {
        if (_thread is not null && !_finished)
        {
            _finished = true;
            _filled.Release();
            _thread.Join();
        }

        _filled.Dispose();
        _free.Dispose();
    }

    private void HandOver()
    {
        if (_thread is null)
        {
            _thread = new Thread(Consume) { IsBackground = true, Name = "spanrecovery span table" };
            _thread.Start();
        }

        _lengths[_handedOver % Batches] = _count;
        Volatile.Write(ref _handedOver, _handedOver + 1);
        _filled.Release();
        _free.Wait(); // the next buffer of the ring, once the consumer is done with it
        _count = 0;
    }

    private void Consume()
    {
        for (var consumed = 0; ; consumed++)
        {
            _filled.Wait();
            if (consumed == Volatile.Read(ref _handedOver))
                return;
            try
            {
                if (_failure is null)
                    Enter(_ring[consumed % Batches].AsSpan(0, _lengths[consumed % Batches]));
            }
            catch (Exception e) when (e is InvalidOperationException or OutOfMemoryException)
            {
                _failure = e; // reported by Finish; keep releasing buffers so the producer never blocks
            }

            _free.Release();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Enter(ReadOnlySpan<PendingSpan> batch)
    {
        for (var start = 0; start < batch.Length; start += PrefetchGroup)
        {
            var group = batch.Slice(start, Math.Min(PrefetchGroup, batch.Length - start));
            foreach (ref readonly var span in group)
                _table.Prefetch(span.TraceId, span.SpanId);
            foreach (ref readonly var span in group)
            {
                if (!_table.TryAdd(span.TraceId, span.SpanId, span.ParentSpanId, span.ContentHash, span.Record, span.IsInvalid, out var first))
                    RecordDuplicate(span, _table.HasSameContent(first, span.ContentHash));
            }
        }
    }

    private void RecordDuplicate(in PendingSpan span, bool identical)
    {
        var count = identical ? ++IdenticalDuplicates : ++DuplicateSpans;
        if (!identical && !span.IsInvalid)
            NewlyInvalid++;
        if (count <= _maxExamples)
        {
            Examples.Add(Finding.ForSpanKey(identical ? Rule.DuplicateSpanIdentical : Rule.DuplicateSpan, span.Path, span.Offset, span.TraceId, span.SpanId,
                identical ? "an identical span came earlier (exporter retry?)" : "a span with the same trace_id and span_id but different content came earlier"));
        }
    }
}
