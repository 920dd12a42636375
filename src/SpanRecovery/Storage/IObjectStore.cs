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

    /// <summary>Keys and sizes of the objects under <paramref name="prefix"/> (all, when empty), in ordinal order of key.</summary>
    Task<IReadOnlyList<(string Key, long Bytes)>> ListAsync(string prefix, CancellationToken cancellationToken = default);

    /// <summary>The size of an object in bytes; null when it does not exist.</summary>
    Task<long?> SizeAsync(string key, CancellationToken cancellationToken = default);
}
