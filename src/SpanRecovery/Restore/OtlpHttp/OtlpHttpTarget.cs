using System.Collections.Concurrent;
using System.Threading.Channels;
using Grpc.Net.Client;
using SpanRecovery.Otlp;

namespace SpanRecovery.Restore;

/// <summary>
/// Restores spans to an OTLP receiver, over OTLP/HTTP or OTLP/gRPC (<see cref="OtlpProtocol"/>). Records are cut
/// into ResourceSpans fragments and packed into numbered batches on the caller's thread;
/// <see cref="OtlpHttpOptions.MaxConcurrency"/> senders take them from a bounded queue, so a slow receiver slows
/// the reader instead of filling memory. Batches a previous run of the same restore delivered (per the resume
/// journal) are counted and skipped. When the restore is to be read back, the IDs of the spans restored are
/// collected into <see cref="SentSpans"/> as records are added.
/// </summary>
internal sealed class OtlpHttpTarget : IAsyncDisposable
{
    private const string TracesPath = "/v1/traces";

    private readonly OtlpHttpOptions _options;
    private readonly ResumeJournal? _journal;
    private readonly HttpClient _client;
    private readonly IBatchSender _sender;
    private readonly SentSpans? _sent;
    private readonly ResourceSpansSplitter _splitter;
    private readonly BatchBuilder _batches;
    private readonly FragmentHandler _onFragment;
    private readonly Channel<OtlpBatch> _queue;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _senders;
    private readonly ConcurrentQueue<string> _failures = new();
    private CancellationToken _addCancellation;
    private long _batchesSent, _batchesSkipped, _spansSent, _spansSkipped, _spansRejected, _bytesSent;

    public OtlpHttpTarget(
        Uri endpoint, OtlpHttpOptions options, string? journalPath, string journalKey, HttpMessageHandler? handler = null, TextWriter? log = null,
        OtlpProtocol protocol = OtlpProtocol.HttpProtobuf, SentSpans? sent = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaxBatchBytes);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxConcurrency, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxAttempts, 1);
        _options = options;
        _journal = journalPath is null ? null : new ResumeJournal(journalPath, journalKey);
        // Redirects are never followed: a 301/302 turns the POST into a body-less GET that "succeeds", and a
        // 307/308 sends the spans to a host nobody named (docs/restore.md). A 3xx fails the batch instead.
        _client = handler is null ? new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) : new HttpClient(handler, disposeHandler: false);
        log = log is null ? null : TextWriter.Synchronized(log);
        if (protocol == OtlpProtocol.Grpc)
        {
            // Each call has its own deadline; the client's timeout would cut a call short of it.
            _client.Timeout = Timeout.InfiniteTimeSpan;
            var channel = GrpcChannel.ForAddress(endpoint, new GrpcChannelOptions { HttpClient = _client });
            _sender = new GrpcBatchSender(channel, options, log);
        }
        else
        {
            _client.Timeout = options.EffectiveRequestTimeout;
            _sender = new BatchSender(_client, TracesUri(endpoint), options, log);
        }

        _sent = sent;
        _splitter = new ResourceSpansSplitter(options.MaxBatchBytes);
        _batches = new BatchBuilder(options.MaxBatchBytes);
        _onFragment = OnFragment;
        _queue = Channel.CreateBounded<OtlpBatch>(new BoundedChannelOptions(2 * options.MaxConcurrency) { SingleWriter = true });
        _senders = [.. Enumerable.Range(0, options.MaxConcurrency).Select(_ => Task.Run(SendQueuedAsync))];
    }

    /// <summary>
    /// Adds one record; blocks while the send queue is full. Throws <see cref="MalformedInputException"/>
    /// for a record that cannot be decoded, before any of it is queued. Cancelling stops the wait for queue
    /// room (the senders stop when the target is disposed).
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
        return new OtlpDeliveryResult(_batchesSent, _batchesSkipped, _spansSent, _spansSkipped, _spansRejected, _bytesSent, failures);
    }

    /// <summary>Stops the senders (a no-op after <see cref="CompleteAsync"/>) and releases the journal.</summary>
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
        _client.Dispose();
        _stop.Dispose();
    }

    private static Uri TracesUri(Uri endpoint)
    {
        if (endpoint.AbsolutePath.EndsWith(TracesPath, StringComparison.Ordinal))
            return endpoint;
        var builder = new UriBuilder(endpoint);
        builder.Path = builder.Path.TrimEnd('/') + TracesPath;
        return builder.Uri;
    }

    private void OnFragment(ReadOnlySpan<byte> fragment, int spans)
    {
        if (spans > 0 && _batches.Add(fragment, spans) is { } full)
            EnqueueAsync(full, _addCancellation).AsTask().GetAwaiter().GetResult();
    }

    private ValueTask EnqueueAsync(OtlpBatch batch, CancellationToken cancellationToken)
    {
        if (_journal?.WasAcknowledged(batch.Index) != true)
            return _queue.Writer.WriteAsync(batch, cancellationToken);
        _batchesSkipped++;
        _spansSkipped += batch.Spans;
        batch.Release();
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// One sender. A bug (not network trouble, which <see cref="BatchSender"/> absorbs) closes the queue, so
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
        BatchOutcome outcome;
        try
        {
            outcome = await _sender.SendAsync(batch, _stop.Token);
        }
        finally
        {
            batch.Release();
        }

        if (!outcome.Delivered)
        {
            _failures.Enqueue(outcome.Failure!);
            return;
        }

        _journal?.Acknowledge(batch.Index);
        Interlocked.Increment(ref _batchesSent);
        Interlocked.Add(ref _spansSent, batch.Spans);
        Interlocked.Add(ref _spansRejected, outcome.RejectedSpans);
        Interlocked.Add(ref _bytesSent, batch.Length);
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
