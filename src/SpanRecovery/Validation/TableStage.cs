namespace SpanRecovery.Validation;

/// <summary>
/// Hands spans to an <see cref="ISpanBatchTarget"/> — the span table's rules, or the partition files — on a
/// thread of its own, so that table lookups, bound by memory latency, run beside parsing and the per-span
/// rules instead of after them. Spans are handed over in batches through a small ring of reused buffers, in
/// input order and to one consumer, so duplicates are decided exactly as in a single thread. Nothing is
/// started until the first batch is full, so small inputs never pay for a thread.
/// </summary>
internal sealed class TableStage : IDisposable
{
    private const int BatchSize = 4096;
    private const int Batches = 8;

    private readonly ISpanBatchTarget _target;
    private readonly PendingSpan[][] _ring = [.. Enumerable.Range(0, Batches).Select(_ => new PendingSpan[BatchSize])];
    private readonly int[] _lengths = new int[Batches];
    private readonly SemaphoreSlim _filled = new(0);
    private readonly SemaphoreSlim _free = new(Batches - 1);
    private Thread? _thread;
    private int _handedOver;
    private bool _finished;
    private Exception? _failure;
    private int _count;

    public TableStage(ISpanBatchTarget target) => _target = target;

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
            _target.Enter(_ring[0].AsSpan(0, _count));
            _count = 0;
            return;
        }

        if (_count > 0)
            HandOver();
        _filled.Release(); // the end: the consumer sees no batch behind this signal
        _thread.Join();
        if (_failure is not null)
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(_failure);
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
                    _target.Enter(_ring[consumed % Batches].AsSpan(0, _lengths[consumed % Batches]));
            }
            catch (Exception e)
            {
                _failure = e; // reported by Finish; keep releasing buffers so the producer never blocks
            }

            _free.Release();
        }
    }
}
