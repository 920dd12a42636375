using System.Runtime.ExceptionServices;
using SpanRecovery.Otlp;

namespace SpanRecovery.Validation;

/// <summary>
/// Parses a pipe buffer's records on two cores for the validator. Parsing a record, hashing its spans
/// and checking the rules of one span need nothing from any other record, so the records are cut into chunks
/// that this thread and a helper thread take in turn. What depends on input order (counts, examples, which
/// copy of a span is the first) is then applied on this thread, record by record, in input order. A record in
/// which a span broke a rule, or which is malformed (both rare), is read again the ordinary way, so its
/// findings, examples and problems are exactly those of reading on one thread. A tentative record (a JSON
/// line not yet framed) that is malformed is not taken: the framing frames it again, by tokenizing.
/// One helper is enough: one thread parses about as fast as a zstd stream decompresses on another (perf,
/// 5M spans), so further parsers would wait for decompression.
/// </summary>
internal sealed class ParallelRecordParser : IDisposable
{
    private readonly DataIntegrityValidator _validator;
    private readonly int _chunkBytes;
    // This thread's decoder (the helper has its own): joins a record that straddles pipe segments, turns damage
    // into a problem. The framing has checked the records' size.
    private readonly RecordDecoder _decoder = new(long.MaxValue);
    private readonly List<Chunk> _chunks = [];
    private readonly SemaphoreSlim _helperStart = new(0);
    private readonly ManualResetEventSlim _helperDone = new(false);
    private Thread? _helper;
    private Exception? _helperFailure;
    private List<FramedRecord> _records = [];
    private int _chunkCount;
    private int _nextChunk;
    private int _input;
    private RecordPayload _payload;
    private bool _disposed;

    public ParallelRecordParser(DataIntegrityValidator validator, int chunkBytes)
    {
        _validator = validator;
        _chunkBytes = Math.Max(1, chunkBytes);
    }

    /// <summary>
    /// Parses the records into the validator, in input order, before returning; returns how many were taken
    /// (see <see cref="IRecordBatchSink.OnRecords"/>).
    /// </summary>
    public int Parse(List<FramedRecord> records, RecordEncoding encoding)
    {
        _payload = encoding == RecordEncoding.Json ? RecordPayload.Json : RecordPayload.Protobuf;
        _records = records;
        _input = _validator.InputIndex;
        _nextChunk = 0;
        _helperFailure = null;
        Cut(records);
        var helped = _chunkCount >= 2 && Environment.ProcessorCount >= 2;
        if (helped)
            StartHelper();
        try
        {
            ParseChunks(_decoder);
        }
        finally
        {
            // The helper may still be reading the records, whose memory the caller releases on return.
            if (helped)
            {
                _helperDone.Wait();
                _helperDone.Reset();
            }
        }

        if (_helperFailure is not null)
            ExceptionDispatchInfo.Throw(_helperFailure);
        return Commit();
    }

    public void Dispose()
    {
        if (_helper is not null)
        {
            _disposed = true;
            _helperStart.Release();
            _helper.Join();
        }

        _decoder.Dispose();
        _helperStart.Dispose();
        _helperDone.Dispose();
    }

    /// <summary>Chunks of about <see cref="_chunkBytes"/> bytes of whole records, reusing the chunks of earlier buffers.</summary>
    private void Cut(List<FramedRecord> records)
    {
        _chunkCount = 0;
        var first = 0;
        long bytes = 0;
        for (var i = 0; i < records.Count; i++)
        {
            bytes += records[i].Bytes.Length;
            if (bytes >= _chunkBytes || i == records.Count - 1)
            {
                if (_chunkCount == _chunks.Count)
                    _chunks.Add(new Chunk());
                _chunks[_chunkCount++].Reset(first, i + 1);
                first = i + 1;
                bytes = 0;
            }
        }
    }

    private void StartHelper()
    {
        if (_helper is null)
        {
            _helper = new Thread(Help) { IsBackground = true, Name = "spanrecovery record parser" };
            _helper.Start();
        }

        _helperStart.Release();
    }

    private void Help()
    {
        using var decoder = new RecordDecoder(long.MaxValue);
        while (true)
        {
            _helperStart.Wait();
            if (_disposed)
                return;
            try
            {
                ParseChunks(decoder);
            }
            catch (Exception e)
            {
                _helperFailure = e; // rethrown by Parse, on the reading thread
            }

            _helperDone.Set();
        }
    }

    /// <summary>Takes chunks in turn with the other thread until none is left.</summary>
    private void ParseChunks(RecordDecoder decoder)
    {
        int c;
        while ((c = Interlocked.Increment(ref _nextChunk) - 1) < _chunkCount)
            ParseChunk(_chunks[c], decoder);
    }

    private void ParseChunk(Chunk chunk, RecordDecoder decoder)
    {
        for (var r = chunk.FirstRecord; r < chunk.EndRecord; r++)
        {
            var record = _records[r];
            var firstSpan = chunk.SpanCount;
            chunk.BeginRecord();
            decoder.Decode(record.Bytes, record.Offset, _payload, new SpanParsingSink<ChunkSink>(new ChunkSink(_validator, chunk, _input)));
            chunk.FinishRecord(r, firstSpan, record.Tentative);
        }
    }

    /// <summary>
    /// Applies the chunks in input order: checked records go straight to the validator, the others are read
    /// again; stops at a tentative record that is not a document. Returns the records taken.
    /// </summary>
    private int Commit()
    {
        for (var c = 0; c < _chunkCount; c++)
        {
            var chunk = _chunks[c];
            var span = 0;
            for (var r = chunk.FirstRecord; r < chunk.EndRecord; r++)
            {
                var spans = chunk.SpansOf(r);
                if (spans == Chunk.NoDocument)
                    return r;
                if (spans == Chunk.Reread)
                {
                    Reread(_records[r]);
                    continue;
                }

                _validator.AddCheckedRecord(_records[r].Offset, chunk.Spans.AsSpan(span, spans));
                span += spans;
            }
        }

        return _records.Count;
    }

    /// <summary>One record through the validator's ordinary one-thread path (malformed: a problem at its offset).</summary>
    private void Reread(FramedRecord record) =>
        _decoder.Decode(record.Bytes, record.Offset, _payload, new SpanParsingSink<DataIntegrityValidator>(_validator));

    /// <summary>A run of records parsed by one thread: the spans of its checked records, and per record their number (or why there are none).</summary>
    private sealed class Chunk
    {
        /// <summary>In place of a record's span count: read it again the ordinary way; or, tentative, it is not one document.</summary>
        public const int Reread = -1, NoDocument = -2;

        private int[] _recordSpans = new int[64];

        public PendingSpan[] Spans { get; private set; } = new PendingSpan[1024];

        public int SpanCount { get; private set; }

        public int FirstRecord { get; private set; }

        public int EndRecord { get; private set; }

        /// <summary>The span's ordinal within the record being parsed.</summary>
        public int NextOrdinal { get; set; }

        /// <summary>The record being parsed has a span that broke a rule, or is malformed.</summary>
        public bool MustReread { get; set; }

        /// <summary>The record being parsed is malformed.</summary>
        public bool Malformed { get; set; }

        public void Reset(int first, int end)
        {
            (FirstRecord, EndRecord, SpanCount) = (first, end, 0);
            if (_recordSpans.Length < end - first)
                _recordSpans = new int[Math.Max(end - first, 2 * _recordSpans.Length)];
        }

        public void BeginRecord() => (NextOrdinal, MustReread, Malformed) = (0, false, false);

        public void Add(in PendingSpan span)
        {
            if (SpanCount == Spans.Length)
            {
                var spans = Spans;
                Array.Resize(ref spans, 2 * spans.Length);
                Spans = spans;
            }

            Spans[SpanCount++] = span;
        }

        /// <summary>Ends record <paramref name="r"/>, whose spans were added from <paramref name="firstSpan"/> on.</summary>
        public void FinishRecord(int r, int firstSpan, bool tentative)
        {
            if (MustReread)
                SpanCount = firstSpan;
            _recordSpans[r - FirstRecord] = Malformed && tentative ? NoDocument : MustReread ? Reread : SpanCount - firstSpan;
        }

        public int SpansOf(int r) => _recordSpans[r - FirstRecord];
    }

    /// <summary>Checks each span as the validator's <see cref="DataIntegrityValidator.OnSpan"/> would, keeping only spans that broke no rule.</summary>
    private readonly struct ChunkSink(DataIntegrityValidator validator, Chunk chunk, int input) : ISpanSink
    {
        public void OnSpan(in SpanView span)
        {
            if (chunk.MustReread)
                return;
            var found = new RuleSet();
            if (validator.CheckSpan(span, input, chunk.NextOrdinal++, ref found, out var pending) && found.IsEmpty)
                chunk.Add(pending);
            else
                chunk.MustReread = true;
        }

        /// <summary>The decoder's report of a malformed record.</summary>
        public void OnInputProblem(InputProblem problem) => (chunk.MustReread, chunk.Malformed) = (true, true);
    }
}
