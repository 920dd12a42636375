using System.Buffers;
using System.IO.Pipelines;
using SpanRecovery.Otlp;

namespace SpanRecovery.Tests.OtlpReading;

/// <summary>
/// Feeds bytes to <see cref="TraceFileReader.ReadAsync"/> whole (one segment) or cut into segments of chosen
/// sizes. The pipe rents its segments from a pool that hands out exactly the size asked for, and a producer
/// task writes and flushes one chunk at a time, so the reader really sees those segment boundaries (1-byte
/// chunks give 1-byte segments).
/// </summary>
internal static class SegmentedInput
{
    // Only a guard against hangs: 1-byte segments of the 100 KB sample take ~15 s on a busy 2-core machine.
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(240);

    public static async Task<RecordingSink> ReadWholeAsync(byte[] bytes, ReaderOptions? options = null)
    {
        var sink = new RecordingSink();
        var reader = PipeReader.Create(new ReadOnlySequence<byte>(bytes));
        await TraceFileReader.ReadAsync(reader, sink, options ?? new ReaderOptions()).WaitAsync(Timeout);
        return sink;
    }

    /// <summary>Reads the bytes cut into chunks of the given sizes, used round-robin until the input ends.</summary>
    public static async Task<RecordingSink> ReadSegmentedAsync(byte[] bytes, IReadOnlyList<int> chunkSizes, ReaderOptions? options = null)
    {
        var sink = new RecordingSink();
        await ReadSegmentedAsync(bytes, chunkSizes, sink, options);
        return sink;
    }

    /// <summary>Reads the bytes, cut into chunks of the given sizes, into any sink.</summary>
    public static async Task ReadSegmentedAsync<TSink>(byte[] bytes, IReadOnlyList<int> chunkSizes, TSink sink, ReaderOptions? options = null)
        where TSink : ISpanSink
    {
        using var pool = new ExactSizeMemoryPool(chunkSizes.Max());
        // A pause threshold of 1 byte: every flush waits until the reader has examined what it wrote (the
        // pipe counts examined, not consumed, bytes for back pressure). So the producer is never more than one
        // chunk ahead, and each read really gets one new segment instead of whatever piled up meanwhile.
        var pipe = new Pipe(new PipeOptions(pool: pool, pauseWriterThreshold: 1, resumeWriterThreshold: 1, minimumSegmentSize: 1, useSynchronizationContext: false));
        var producer = Task.Run(async () =>
        {
            var offset = 0;
            for (var i = 0; offset < bytes.Length; i++)
            {
                var size = Math.Min(chunkSizes[i % chunkSizes.Count], bytes.Length - offset);
                var memory = pipe.Writer.GetMemory(size);
                bytes.AsSpan(offset, size).CopyTo(memory.Span);
                pipe.Writer.Advance(size);
                offset += size;
                var flush = await pipe.Writer.FlushAsync();
                if (flush.IsCompleted)
                    break; // the reader stopped early (unknown format)
            }

            await pipe.Writer.CompleteAsync();
        });
        await TraceFileReader.ReadAsync(pipe.Reader, sink, options ?? new ReaderOptions()).WaitAsync(Timeout);
        await producer.WaitAsync(Timeout);
    }

    public static Task<RecordingSink> ReadOneByteSegmentsAsync(byte[] bytes, ReaderOptions? options = null) =>
        ReadSegmentedAsync(bytes, [1], options);

    /// <summary>Rents memories of exactly the requested size (at least 1 byte), capped at a maximum.</summary>
    private sealed class ExactSizeMemoryPool(int maxBufferSize) : MemoryPool<byte>
    {
        public override int MaxBufferSize { get; } = maxBufferSize;

        public override IMemoryOwner<byte> Rent(int minBufferSize = -1) =>
            new Owner(new byte[Math.Clamp(minBufferSize, 1, MaxBufferSize)]);

        protected override void Dispose(bool disposing)
        {
        }

        private sealed class Owner(byte[] array) : IMemoryOwner<byte>
        {
            public Memory<byte> Memory { get; } = array;

            public void Dispose()
            {
            }
        }
    }
}
