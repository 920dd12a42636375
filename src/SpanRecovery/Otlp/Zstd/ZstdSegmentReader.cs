using System.Buffers;
using System.IO.Pipelines;

namespace SpanRecovery.Otlp.Zstd;

/// <summary>
/// Whole-file zstd, decompressed by libzstd's block-by-block API straight into the buffers the parser reads,
/// on a thread of its own. The streaming API decompresses into a window of its own and copies every byte out
/// of it; here the output stays where it was written.
/// <list type="bullet">
/// <item>libzstd needs the last window of output where it left it, and looks back into the segment it writes
/// and the one it wrote before, no further. Each segment holds a window and two blocks, and libzstd leaves
/// one only when less than a block is free, so on the move the window is all in the segment left behind;
/// any other segment may be written again once the parser is past it.</item>
/// <item>While the parser has read everything and waits for the rest of a long record, a new segment is
/// added instead (as a pipe grows while its reader examines without consuming). A frame whose window is
/// larger than the segments gets larger ones; the parser reads on through the old.</item>
/// <item>Output is handed over a megabyte at a time, and a frame's last part only once the frame ended well
/// (its checksum, if it has one, matched) or the input ended, as the streaming decoder's megabyte reads
/// did: a checksum that does not match keeps that part from the parser.</item>
/// <item>Damage ends the data normally after the last part handed over; <see cref="Producer"/> then returns
/// it, as <see cref="DecompressingPipe"/> does for the streaming decoders.</item>
/// </list>
/// </summary>
internal sealed class ZstdSegmentReader : PipeReader
{
    /// <summary>ZSTD_BLOCKSIZE_MAX: the most one call writes.</summary>
    private const int BlockMax = 128 * 1024;

    /// <summary>libzstd's default limit (ZSTD_WINDOWLOG_LIMIT_DEFAULT): a larger window is refused, as its streaming API refuses it.</summary>
    private const long MaxWindow = 1L << 27;

    /// <summary>Output handed to the parser at once (the streaming decoder's read size).</summary>
    private const int HandOverBytes = 1 << 20;

    /// <summary>Segments kept for reuse: the one written, the one before (libzstd's window), and one for the parser to read behind.</summary>
    private const int ReusedSegments = 3;

    private readonly PipeReader _compressed;
    private readonly CancellationToken _cancellationToken;
    private readonly TaskCompletionSource<CorruptCompressionException?> _producer = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _lock = new();
    private readonly int _minSegmentBytes;

    // The producer's alone.
    private readonly List<Segment> _segments = [];
    private int _segmentBytes;
    private int _pending; // written into the current segment, not handed over yet
    private ReadOnlySequence<byte> _input;
    private bool _inputRead, _inputComplete;
    private readonly byte[] _scratch = new byte[BlockMax];

    // Under _lock: the segment being written, what the parser has consumed and examined, what is written, and how each side ended.
    private Segment? _current;
    private Segment? _consumed;
    private int _consumedIndex;
    private long _examined;
    private long _written;
    private bool _producerDone, _readerDone, _cancelRead;
    private Exception? _failure;
    private TaskCompletionSource? _dataReady; // set while the parser waits for data

    /// <param name="minSegmentBytes">The smallest segment (tests make it small, to make segments turn over often).</param>
    public ZstdSegmentReader(PipeReader compressed, CancellationToken cancellationToken, int minSegmentBytes = 4 << 20)
    {
        _compressed = compressed;
        _cancellationToken = cancellationToken;
        _minSegmentBytes = minSegmentBytes;
        new Thread(Produce) { IsBackground = true, Name = "spanrecovery zstd" }.Start();
    }

    /// <summary>Ends once decompression has stopped: the damage found, if any.</summary>
    public Task<CorruptCompressionException?> Producer => _producer.Task;

    public override bool TryRead(out ReadResult result) => TryRead(out result, out _);

    public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            if (TryRead(out var result, out var dataReady))
                return result;
            await dataReady.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Data not examined yet, an end or a cancelled read; else what to wait for.</summary>
    private bool TryRead(out ReadResult result, out Task dataReady)
    {
        lock (_lock)
        {
            if (_failure is not null)
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(_failure);
            if (_cancelRead || _written > _examined || _producerDone)
            {
                var buffer = _consumed is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(_consumed, _consumedIndex, _current!, _current!.Written);
                result = new ReadResult(buffer, _cancelRead, _producerDone);
                _cancelRead = false;
                dataReady = Task.CompletedTask;
                return true;
            }

            _dataReady ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            dataReady = _dataReady.Task;
        }

        result = default;
        return false;
    }

    /// <summary>Under _lock: wakes the parser if it waits; call the result outside the lock.</summary>
    private TaskCompletionSource? TakeWaitingReader()
    {
        var waiting = _dataReady;
        _dataReady = null;
        return waiting;
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        lock (_lock)
        {
            // Positions of an empty buffer name no segment: nothing was read.
            if (consumed.GetObject() is Segment segment)
                (_consumed, _consumedIndex) = (segment, consumed.GetInteger());
            if (examined.GetObject() is Segment examinedSegment)
                _examined = Math.Max(_examined, examinedSegment.RunningIndex + examined.GetInteger());
            SkipFinishedSegment();
            Monitor.PulseAll(_lock); // the producer may be waiting for a segment
        }
    }

    public override void CancelPendingRead()
    {
        TaskCompletionSource? waiting;
        lock (_lock)
        {
            _cancelRead = true;
            waiting = TakeWaitingReader();
        }

        waiting?.TrySetResult();
    }

    public override void Complete(Exception? exception = null)
    {
        lock (_lock)
        {
            _readerDone = true;
            Monitor.PulseAll(_lock);
        }
    }

    /// <summary>Under _lock: a consumed position at the end of a finished segment is the start of the next, so the finished one may be written again.</summary>
    private void SkipFinishedSegment()
    {
        while (_consumed is { Next: Segment next } && _consumedIndex == _consumed.Written)
            (_consumed, _consumedIndex) = (next, 0);
    }

    private void Produce()
    {
        CorruptCompressionException? damage = null;
        Exception? failure = null;
        nint context = 0;
        try
        {
            // In here: on this thread, an exception that escaped would end the process.
            context = NativeZstd.NewContext();
            while (TakeInput(1, out _))
                DecompressFrame(context);
        }
        catch (InvalidDataException e)
        {
            damage = new CorruptCompressionException($"corrupted zstd data after {_written} decompressed bytes: {e.Message}", _written, e);
        }
        catch (ReaderStopped)
        {
            // The parser needs no more: nothing to report.
        }
        catch (Exception e)
        {
            failure = e;
        }
        finally
        {
            if (context != 0)
                _ = NativeZstd.FreeContext(context);
        }

        TaskCompletionSource? waiting;
        lock (_lock)
        {
            _producerDone = true;
            _failure = failure;
            waiting = TakeWaitingReader();
        }

        waiting?.TrySetResult();
        _producer.SetResult(damage);
    }

    private unsafe void DecompressFrame(nint context)
    {
        var header = default(NativeZstd.FrameHeader);
        var headerBytes = TakeInput(NativeZstd.FrameHeaderMax, out var available) ? NativeZstd.FrameHeaderMax : available;
        fixed (byte* source = Peek(headerBytes))
        {
            if (NativeZstd.Check(NativeZstd.GetFrameHeader(&header, source, (nuint)headerBytes)) != 0)
                throw new InvalidDataException("zstd: the data ends inside a frame header (truncated)");
        }

        if (header.FrameType == NativeZstd.SkippableFrame)
        {
            // Skipped without libzstd, which would want all of its content (up to 4 GiB) in one piece: the
            // 8-byte header (magic and size; libzstd leaves HeaderSize 0 for these), then the content.
            for (var skip = NativeZstd.SkippableHeaderBytes + (long)header.FrameContentSize; skip > 0;)
            {
                if (!TakeInput(1, out _))
                    throw new InvalidDataException("zstd: the data ends inside a skippable frame (truncated)");
                var skipped = Math.Min(skip, _input.Length);
                _input = _input.Slice(skipped);
                skip -= skipped;
            }

            return;
        }

        if (header.WindowSize > MaxWindow)
            throw new InvalidDataException($"zstd: the frame needs a {header.WindowSize >> 20} MiB window, over the {MaxWindow >> 20} MiB limit");
        EnsureSegmentsFor((int)header.WindowSize);
        NativeZstd.Check(NativeZstd.DecompressBegin(context));
        for (var size = (int)NativeZstd.NextSourceSize(context); size > 0; size = (int)NativeZstd.NextSourceSize(context))
        {
            // Headers, checksums and blocks: never more than a block. A larger request is not one libzstd makes.
            if (size > BlockMax)
                throw new InvalidDataException($"zstd: a frame asks for {size} bytes at once, more than a block");
            if (!TakeInput(size, out _))
            {
                HandOver(); // all of it decoded well: only the rest is missing
                throw new InvalidDataException("zstd: the data ends inside a frame (truncated)");
            }

            var segment = _current!;
            if (segment.Array.Length - segment.Written - _pending < BlockMax)
                segment = NextSegment();
            fixed (byte* source = Peek(size))
            fixed (byte* output = segment.Array)
            {
                var at = segment.Written + _pending;
                _pending += (int)NativeZstd.Check(NativeZstd.DecompressContinue(context, output + at, (nuint)(segment.Array.Length - at), source, (nuint)size));
            }

            _input = _input.Slice(size);
            if (_pending >= HandOverBytes)
                HandOver();
        }

        HandOver(); // the frame ended well
    }

    /// <summary>Makes the output not handed over yet visible to the parser.</summary>
    private void HandOver()
    {
        if (_pending == 0)
            return;
        TaskCompletionSource? waiting;
        lock (_lock)
        {
            if (_readerDone)
                throw new ReaderStopped();
            _current!.Written += _pending;
            _written += _pending;
            waiting = TakeWaitingReader();
        }

        _pending = 0;
        waiting?.TrySetResult();
    }

    /// <summary>Segments that hold a window and two blocks: larger ones when a frame needs them (the old are not written again).</summary>
    private void EnsureSegmentsFor(int window)
    {
        var needed = Math.Max(_minSegmentBytes, window + (2 * BlockMax));
        if (_segmentBytes >= needed)
            return;
        _segmentBytes = needed;
        _segments.Clear();
        StartSegment(NewSegment());
    }

    /// <summary>
    /// The segment after the current one: a reused one once the parser is past it, or a new one while there
    /// are fewer than three or the parser has read everything and waits for more.
    /// </summary>
    private Segment NextSegment()
    {
        HandOver(); // the segment's bytes are final before the next is linked after it
        Segment? next = null;
        if (_segments.Count >= ReusedSegments)
            WaitFor(() => (next = ReusableSegment()) is not null || _examined >= _written);
        return StartSegment(next ?? NewSegment());
    }

    /// <summary>Under _lock: a segment the parser is past, if there is one (libzstd's window moves into the current one).</summary>
    private Segment? ReusableSegment()
    {
        var consumed = _consumed!.RunningIndex + _consumedIndex;
        return _segments.Find(s => s != _current && s != _consumed && s.RunningIndex + s.Written <= consumed);
    }

    private Segment NewSegment()
    {
        // Pinned: libzstd keeps pointers into the last window between calls.
        var segment = new Segment(GC.AllocateUninitializedArray<byte>(_segmentBytes, pinned: true));
        _segments.Add(segment);
        return segment;
    }

    private Segment StartSegment(Segment next)
    {
        lock (_lock)
        {
            next.Start(_written, previous: _current);
            _current = next;
            _consumed ??= next;
            SkipFinishedSegment();
        }

        return next;
    }

    /// <summary>Waits for the parser until <paramref name="condition"/> holds (checked under _lock); stops when the parser has stopped.</summary>
    private void WaitFor(Func<bool> condition)
    {
        lock (_lock)
        {
            while (!_readerDone && !condition())
            {
                _cancellationToken.ThrowIfCancellationRequested();
                Monitor.Wait(_lock, 100); // woken by the parser's AdvanceTo; the timeout only notices a cancellation
            }

            if (_readerDone)
                throw new ReaderStopped();
        }
    }

    /// <summary>True when <paramref name="count"/> compressed bytes are at hand; else how many there are (the input ended).</summary>
    private bool TakeInput(int count, out int available)
    {
        if (_input.Length < count && !_inputComplete)
        {
            if (_inputRead)
                _compressed.AdvanceTo(_input.Start, _input.End);
            var read = _compressed.ReadAtLeastAsync(count, _cancellationToken).AsTask().GetAwaiter().GetResult();
            (_input, _inputComplete, _inputRead) = (read.Buffer, read.IsCompleted, true);
        }

        available = (int)Math.Min(_input.Length, count);
        return _input.Length >= count;
    }

    /// <summary>The next <paramref name="count"/> compressed bytes in one piece (copied only when they straddle pipe segments).</summary>
    private ReadOnlySpan<byte> Peek(int count)
    {
        if (_input.FirstSpan.Length >= count)
            return _input.FirstSpan[..count];
        _input.Slice(0, count).CopyTo(_scratch);
        return _scratch.AsSpan(0, count);
    }

    private sealed class ReaderStopped : Exception
    {
    }

    /// <summary>One output segment, linked after the one written before it.</summary>
    private sealed class Segment(byte[] array) : ReadOnlySequenceSegment<byte>
    {
        public byte[] Array { get; } = array;

        /// <summary>Bytes of output in it; written by the producer under the reader's lock.</summary>
        public int Written { get; set; }

        /// <summary>Starts it (again) after <paramref name="previous"/>, at <paramref name="position"/> of the output.</summary>
        public void Start(long position, Segment? previous)
        {
            // Finished: its bytes, no longer the whole array (sequences that end in it end within them).
            if (previous is not null)
            {
                previous.Memory = previous.Array.AsMemory(0, previous.Written);
                previous.Next = this;
            }

            Next = null;
            Written = 0;
            RunningIndex = position;
            Memory = Array;
        }
    }
}
