using System.Collections.Concurrent;
using System.Threading.Channels;
using SpanRecovery.Otlp;

namespace SpanRecovery.Restore;

/// <summary>
/// Restores spans to an OTLP receiver through an <see cref="IBatchExporter"/>, whatever its transport. Records
/// are cut into ResourceSpans fragments and packed into numbered batches on the caller's thread;
/// <see cref="OtlpHttpOptions.MaxConcurrency"/> senders take them from a bounded queue, so a slow receiver
/// slows the reader instead of filling memory. Batches a previous run of the same restore delivered (per the
/// resume journal) are counted and skipped, with what the receiver rejected of them then. A batch refused as
/// too large is sent again in halves, down to single spans, and later batches are built smaller. When the
/// restore is to be read back, the IDs of the spans restored are collected into <see cref="SentSpans"/> as
/// records are added.
/// </summary>
internal sealed class BatchDelivery : IAsyncDisposable
{
    /// <summary>How many partly rejected batches the result names.</summary>
    private const int RejectedListed = 10;

    private readonly IBatchExporter _exporter;
    private readonly ResumeJournal? _journal;
    private readonly TextWriter? _log;
    private readonly ResourceSpansSplitter _splitter;
    private readonly BatchBuilder _batches;
    private readonly FragmentHandler _onFragment;
    private readonly Channel<OtlpBatch> _queue;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _senders;
    private readonly ConcurrentQueue<string> _failures = new();
    private readonly ConcurrentQueue<RejectedBatch> _rejected = new();
    private readonly SentSpans? _sent;
    private CancellationToken _addCancellation;
    private long _batchesSent, _batchesSkipped, _spansSent, _spansSkipped, _spansRejected, _bytesSent;

    /// <param name="exporter">Sends each batch; disposed with this delivery.</param>
    /// <param name="journal">The resume journal (null: no resume); disposed with this delivery.</param>
    /// <param name="sent">Collects the IDs of the spans added, for the read-back; null when there is none.</param>
    public BatchDelivery(IBatchExporter exporter, OtlpHttpOptions options, ResumeJournal? journal, TextWriter? log = null, SentSpans? sent = null)
    {
        ArgumentNullException.ThrowIfNull(exporter);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaxBatchBytes);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxConcurrency, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxAttempts, 1);
        _exporter = exporter;
        _journal = journal;
        _sent = sent;
        _log = log is null ? null : TextWriter.Synchronized(log);
        _batches = new BatchBuilder(options.MaxBatchBytes, journal?.Limits);
        _splitter = new ResourceSpansSplitter(_batches.Limit);
        _onFragment = OnFragment;
        _queue = Channel.CreateBounded<OtlpBatch>(new BoundedChannelOptions(2 * options.MaxConcurrency) { SingleWriter = true });
        _senders = [.. Enumerable.Range(0, options.MaxConcurrency).Select(_ => Task.Run(SendQueuedAsync))];
    }

    /// <summary>
    /// Adds one record; blocks while the send queue is full. Throws <see cref="MalformedInputException"/>
    /// for a record that cannot be decoded, before any of it is queued. Cancelling stops the wait for queue
    /// room (the senders stop when the delivery is disposed).
    /// </summary>
    public void AddRecord(ReadOnlySpan<byte> record, RecordEncoding encoding, CancellationToken cancellationToken = default)
    {
        _addCancellation = cancellationToken;
        if (encoding == RecordEncoding.Json)
            record = OtlpJsonToProtobuf.Convert(record);
        else if (_sent is null)
            ProtobufTracesParser.Parse(record, 0, default(DiscardingSink));
        if (_sent is not null)
            ProtobufTracesParser.Parse(record, 0, _sent.Sink);
        _splitter.MaxFragmentBytes = _batches.Limit;
        _splitter.Split(record, _onFragment);
    }

    /// <summary>
    /// Sends the last batch, waits for every send and reports. The journal is deleted only when every batch
    /// was delivered; after failures or cancellation it stays for the rerun.
    /// </summary>
    public async Task<OtlpDeliveryResult> CompleteAsync(CancellationToken cancellationToken)
    {
        using var cancel = cancellationToken.Register(_stop.Cancel);
        if (_batches.Flush() is { } last)
            await EnqueueAsync(last, _stop.Token);
        _queue.Writer.TryComplete(); // a sender that failed has completed it already
        try
        {
            await Task.WhenAll(_senders);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            cancellationToken.ThrowIfCancellationRequested();
            throw;
        }

        var failures = _failures.ToArray();
        if (failures.Length == 0)
            _journal?.Delete();
        var rejected = _rejected.OrderBy(r => r.Batch).Take(RejectedListed).ToArray();
        return new OtlpDeliveryResult(_batchesSent, _batchesSkipped, _spansSent, _spansSkipped, _spansRejected, _bytesSent, failures, rejected);
    }

    /// <summary>Stops the senders (a no-op after <see cref="CompleteAsync"/>) and releases the journal and the exporter.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stop.CancelAsync();
        try
        {
            await Task.WhenAll(_senders);
        }
        catch (OperationCanceledException)
        {
            // the senders were stopped on purpose
        }

        _journal?.Dispose();
        _exporter.Dispose();
        _stop.Dispose();
    }

    private void OnFragment(ReadOnlySpan<byte> fragment, int spans)
    {
        if (spans > 0 && _batches.Add(fragment, spans) is { } full)
            EnqueueAsync(full, _addCancellation).AsTask().GetAwaiter().GetResult();
    }

    private ValueTask EnqueueAsync(OtlpBatch batch, CancellationToken cancellationToken)
    {
        if (_journal is null || !_journal.WasAcknowledged(batch.Index, out var rejected, out var message))
            return _queue.Writer.WriteAsync(batch, cancellationToken);
        _batchesSkipped++;
        _spansSkipped += batch.Spans;
        CountRejected(batch.Index, rejected, message);
        batch.Release();
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// One sender. A bug (not network trouble, which the exporter absorbs) closes the queue, so
    /// <see cref="AddRecord"/> fails instead of waiting forever for senders that are gone.
    /// </summary>
    private async Task SendQueuedAsync()
    {
        try
        {
            await foreach (var batch in _queue.Reader.ReadAllAsync(_stop.Token))
                await SendAsync(batch);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _queue.Writer.TryComplete(e);
            throw;
        }
    }

    private async Task SendAsync(OtlpBatch batch)
    {
        var outcome = await DeliverAsync(batch);
        if (!outcome.Delivered)
        {
            _failures.Enqueue(outcome.Failure!);
            return;
        }

        _journal?.Acknowledge(batch.Index, outcome.RejectedSpans, outcome.RejectionMessage);
        Interlocked.Increment(ref _batchesSent);
        Interlocked.Add(ref _spansSent, batch.Spans);
        Interlocked.Add(ref _bytesSent, batch.Length);
        CountRejected(batch.Index, outcome.RejectedSpans, outcome.RejectionMessage);
    }

    /// <summary>Sends a batch (and releases it); one refused as too large goes again as two halves, and later batches are built no larger than a half.</summary>
    private async Task<BatchOutcome> DeliverAsync(OtlpBatch batch)
    {
        BatchOutcome outcome;
        (OtlpBatch First, OtlpBatch Second)? halves;
        try
        {
            outcome = await _exporter.ExportAsync(batch, _stop.Token);
            if (!outcome.TooLarge)
                return outcome;
            halves = batch.Halves();
            if (halves is null)
                return BatchOutcome.Failed($"{batch.Name}: {outcome.Failure}, a single span that cannot be split further");
        }
        finally
        {
            batch.Release();
        }

        var (first, second) = halves.Value;
        var limit = Math.Max(first.Length, second.Length);
        if (_batches.Shrink(limit) is { } from)
        {
            _journal?.RecordLimit(from, limit);
            _log?.WriteLine($"{batch.Name}: {outcome.Failure}, sent in halves; batches from {from} on are at most {limit} bytes");
        }

        return BatchOutcome.Both(await DeliverAsync(first), await DeliverAsync(second));
    }

    private void CountRejected(long batch, long spans, string? message)
    {
        if (spans == 0 && string.IsNullOrEmpty(message))
            return;
        Interlocked.Add(ref _spansRejected, spans);
        _rejected.Enqueue(new RejectedBatch(batch, spans, message ?? ""));
    }

    /// <summary>Lets the strict protobuf parser check a whole record before any of it is queued.</summary>
    private readonly struct DiscardingSink : ISpanSink
    {
        public void OnSpan(in SpanView span)
        {
        }

        public void OnInputProblem(InputProblem problem)
        {
        }
    }
}
