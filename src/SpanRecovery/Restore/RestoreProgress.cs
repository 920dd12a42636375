namespace SpanRecovery.Restore;

/// <summary>How far a restore is, for a progress display on another thread: backup bytes read of the total to read.</summary>
public sealed class RestoreProgress
{
    private long _total;
    private long _bytes;

    /// <summary>Backup bytes the restore will read.</summary>
    public long Total => Volatile.Read(ref _total);

    /// <summary>Backup bytes read so far.</summary>
    public long Bytes => Volatile.Read(ref _bytes);

    internal void AddTotal(long bytes) => Interlocked.Add(ref _total, bytes);

    internal void Add(long bytes) => Interlocked.Add(ref _bytes, bytes);
}
