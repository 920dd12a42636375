namespace SpanRecovery.Storage;

/// <summary>
/// Objects as files under a directory. A write goes to a temporary file beside the target, is flushed to
/// disk and renamed over it, so readers on any machine sharing the directory see the old object or the new
/// one, never a mix. Keys are checked to stay inside the directory.
/// </summary>
internal sealed class DirectoryObjectStore : IObjectStore
{
    public DirectoryObjectStore(string directory)
    {
        Root = Path.GetFullPath(directory);
        Location = Root;
    }

    /// <summary>The directory as an absolute path: what other machines sharing the volume are told.</summary>
    public string Location { get; }

    public string Root { get; }

    public string Describe(string key) => PathOf(key);

    public Task<Stream?> OpenReadAsync(string key, CancellationToken cancellationToken = default)
    {
        try
        {
            return Task.FromResult<Stream?>(new FileStream(PathOf(key), FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return Task.FromResult<Stream?>(null);
        }
    }

    public async Task WriteAsync(string key, Stream content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        var path = PathOf(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0))
            {
                await content.CopyToAsync(file, 1 << 20, cancellationToken);
                file.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    public Task<IReadOnlyList<(string Key, long Bytes)>> ListAsync(string prefix, CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(Root))
            return Task.FromResult<IReadOnlyList<(string, long)>>([]);
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.None };
        IReadOnlyList<(string, long)> objects = [.. new DirectoryInfo(Root).EnumerateFiles("*", options)
            .Select(f => (Key: Path.GetRelativePath(Root, f.FullName).Replace('\\', '/'), Bytes: f.Length))
            .Where(o => o.Key.StartsWith(prefix, StringComparison.Ordinal) && !o.Key.EndsWith(".tmp", StringComparison.Ordinal))
            .OrderBy(o => o.Key, StringComparer.Ordinal)];
        return Task.FromResult(objects);
    }

    public Task<long?> SizeAsync(string key, CancellationToken cancellationToken = default)
    {
        var file = new FileInfo(PathOf(key));
        return Task.FromResult<long?>(file.Exists ? file.Length : null);
    }

    public void Dispose()
    {
    }

    private string PathOf(string key)
    {
        var path = Path.GetFullPath(Path.Combine(Root, key));
        if (!path.StartsWith(Root.TrimEnd('/') + "/", StringComparison.Ordinal))
            throw new ArgumentException($"object key '{key}' leaves {Root}", nameof(key));
        return path;
    }
}
