namespace SpanRecovery.Validation;

/// <summary>
/// Pass 1 of partitioned validation on one machine (docs/scale-out.md): each span's key record goes to one of R
/// spill files by its trace ID's partition, so that every trace is whole in one file; pass 2 reads each
/// file back into a table of its own. The files are unlinked as soon as they are open (on Linux), so no
/// exit — Ctrl-C, a crash, kill -9 — leaves them behind; elsewhere they are deleted on close.
/// </summary>
internal sealed class PartitionSpill : ITracePartitions
{
    private readonly string _directory;
    private readonly FileStream[] _files;
    private readonly byte[][] _blocks;
    private readonly int[] _filled;
    private readonly long[] _spans;
    private readonly int _level;
    private bool _flushed;

    /// <param name="level">0 for a data set's partitions; one more for each split of a partition that is still too large.</param>
    public PartitionSpill(string spillDirectory, int partitions, int level = 0)
    {
        _level = level;
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        _directory = Path.Combine(spillDirectory, $"spanrecovery-spill-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_directory);
        _files = new FileStream[partitions];
        _blocks = new byte[partitions][];
        _filled = new int[partitions];
        _spans = new long[partitions];
        try
        {
            for (var p = 0; p < partitions; p++)
            {
                var path = Path.Combine(_directory, $"{p:D4}.spill");
                _files[p] = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, bufferSize: 0, FileOptions.DeleteOnClose);
                if (!OperatingSystem.IsWindows())
                    File.Delete(path);
                _blocks[p] = new byte[PartitionFile.BlockBytes];
            }

            if (!OperatingSystem.IsWindows())
                Directory.Delete(_directory);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public int Partitions => _files.Length;

    /// <summary>Bytes written to the spill files so far.</summary>
    public long Bytes { get; private set; }

    /// <summary>The bytes of a partition file of <paramref name="spans"/> key records (full blocks, then a last partial one).</summary>
    public static long BytesFor(long spans) =>
        (spans * PartitionFile.RecordBytes) + ((spans + PartitionFile.RecordsPerBlock - 1) / PartitionFile.RecordsPerBlock * PartitionFile.HeaderBytes);

    public void Enter(ReadOnlySpan<PendingSpan> batch)
    {
        foreach (ref readonly var span in batch)
        {
            var p = PartitionFile.PartitionOf(span.TraceId, _files.Length, _level);
            PartitionFile.Encode(span, _blocks[p].AsSpan(PartitionFile.HeaderBytes + _filled[p] * PartitionFile.RecordBytes, PartitionFile.RecordBytes));
            _spans[p]++;
            if (++_filled[p] == PartitionFile.RecordsPerBlock)
                WriteBlock(p);
        }
    }

    /// <summary>Key records written to partition <paramref name="p"/>.</summary>
    public long SpansIn(int p) => _spans[p];

    /// <summary>
    /// Writes what is still buffered; after this, partitions can be read (in any order, from any thread, each
    /// once). Reading a partition flushes first, and the first of several threads to do so flushes for all.
    /// </summary>
    public void Flush()
    {
        lock (_files)
        {
            if (_flushed)
                return;
            for (var p = 0; p < _files.Length; p++)
            {
                if (_filled[p] > 0)
                    WriteBlock(p);
                _blocks[p] = [];
            }

            _flushed = true;
        }
    }

    /// <summary>Hands partition <paramref name="p"/>'s spans to <paramref name="target"/> in input order.</summary>
    public void ReadPartition(int p, ISpanBatchTarget target, CancellationToken cancellationToken)
    {
        Flush();
        var file = _files[p];
        file.Position = 0;
        PartitionFile.ReadAll(file, $"{_directory}/{p:D4}.spill", target, cancellationToken);
    }

    /// <summary>Hands partition <paramref name="p"/>'s file, as it is (blocks and checksums), to <paramref name="write"/>.</summary>
    public async Task UploadAsync(int p, Func<Stream, Task> write)
    {
        Flush();
        _files[p].Position = 0;
        await write(_files[p]);
    }

    private void WriteBlock(int p)
    {
        var length = PartitionFile.Seal(_blocks[p], _filled[p]);
        _files[p].Write(_blocks[p], 0, length);
        Bytes += length;
        _filled[p] = 0;
    }

    public void Dispose()
    {
        foreach (var file in _files)
            file?.Dispose();
        try
        {
            if (Directory.Exists(_directory))
                Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Left behind only if something else put files there; ours are gone with their handles.
        }
    }
}
