using System.Buffers;
using System.IO.Pipelines;

namespace SpanRecovery.Otlp;

/// <summary>
/// Reads trace bytes into a sink on another core while the caller does something else with the same bytes
/// (compresses them into a segment, writes them to a restored file): the caller hands each chunk over with
/// <see cref="WriteAsync"/>, which copies it into a pipe and returns while the reader parses it.
/// </summary>
internal sealed class BackgroundReader
{
    private const int ChunkSize = 1024 * 1024;

    // Chunk-sized pipe segments, as the file reader uses: records rarely straddle a segment boundary.
    private readonly Pipe _pipe = new(new PipeOptions(
        pauseWriterThreshold: 4 * ChunkSize, resumeWriterThreshold: 2 * ChunkSize, minimumSegmentSize: ChunkSize, useSynchronizationContext: false));

    private readonly Task<InputDescription> _reading;
    private Task<FlushResult> _flush = Task.FromResult(default(FlushResult));
    private bool _readerStopped;

    private BackgroundReader(Func<PipeReader, Task<InputDescription>> read) =>
        _reading = Task.Run(() => read(_pipe.Reader));

    public static BackgroundReader Start<TSink>(TSink sink, ReaderOptions options, CancellationToken cancellationToken)
        where TSink : ISpanSink =>
        new(reader => TraceFileReader.ReadAsync(reader, sink, options, cancellationToken));

    /// <summary>Hands a chunk to the reader (copied: the caller may reuse its buffer at once).</summary>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> chunk, CancellationToken cancellationToken)
    {
        // A reader that stopped early (unreadable input) has completed the pipe; the caller carries on alone.
        if (!_readerStopped && (await _flush).IsCompleted)
            _readerStopped = true;
        if (_readerStopped)
            return;
        _pipe.Writer.Write(chunk.Span);
        _flush = _pipe.Writer.FlushAsync(cancellationToken).AsTask(); // one per 1 MiB chunk
    }

    /// <summary>Ends the input and returns what the reader found.</summary>
    public async Task<InputDescription> CompleteAsync()
    {
        await _flush;
        await _pipe.Writer.CompleteAsync();
        return await _reading;
    }

    /// <summary>Ends the input with the caller's failure and waits for the reader to stop.</summary>
    public async Task FailAsync(Exception exception)
    {
        await _pipe.Writer.CompleteAsync(exception);
        // The reader then fails with the writer's exception (or is cancelled); the caller reports its own.
        await ((Task)_reading).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }
}
