namespace SpanRecovery.Storage;

/// <summary>
/// A place that holds named objects: a directory (local, or a volume shared by many machines) or a prefix
/// of an S3-compatible bucket. Keys are relative names with '/' separators. A written object is there whole or
/// not at all, so a reader never sees half of one, and a task that is run again simply overwrites its objects.
/// </summary>
internal interface IObjectStore : IDisposable
{
    /// <summary>Where the store is, as a user gave it (a path or <c>s3://bucket/prefix</c>).</summary>
    string Location { get; }

    /// <summary>The full name of an object, for messages.</summary>
    string Describe(string key);

    /// <summary>Opens an object for reading; null when it does not exist.</summary>
    Task<Stream?> OpenReadAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Writes an object whole (replacing one of the same key) from <paramref name="content"/>, read to its end.</summary>
    Task WriteAsync(string key, Stream content, CancellationToken cancellationToken = default);

    /// <summary>Starts writing an object (replacing one of the same key) that appears only when committed.</summary>
    Task<ObjectWriter> CreateAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Creates an object only if none of that key exists: true when this call created it. Atomic where
    /// <see cref="HasAtomicCreateAsync"/> says so; elsewhere two callers may both get true.
    /// </summary>
    Task<bool> TryCreateAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default);

    /// <summary>Whether <see cref="TryCreateAsync"/> refuses an existing object (S3 stores that ignore If-None-Match do not).</summary>
    Task<bool> HasAtomicCreateAsync(CancellationToken cancellationToken = default);

    /// <summary>Removes an object; nothing happens when it does not exist.</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Removes every object under <paramref name="prefix"/> (ending in '/'), also unfinished writes of a killed writer.</summary>
    Task DeletePrefixAsync(string prefix, CancellationToken cancellationToken = default);

    /// <summary>Keys and sizes of the objects under <paramref name="prefix"/> (all, when empty), in ordinal order of key.</summary>
    Task<IReadOnlyList<(string Key, long Bytes)>> ListAsync(string prefix, CancellationToken cancellationToken = default);

    /// <summary>The size of an object in bytes; null when it does not exist.</summary>
    Task<long?> SizeAsync(string key, CancellationToken cancellationToken = default);
}
