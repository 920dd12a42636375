using System.Runtime.InteropServices;
using SpanRecovery.Repository;

namespace SpanRecovery.Storage;

/// <summary>
/// Objects as files under a directory. A write goes to a temporary file beside the target, is flushed to
/// disk and renamed over it (and the directory flushed), so readers on any machine sharing the directory see
/// the old object or the new one, never a mix, and a committed object survives a crash. Keys are checked to
/// stay inside the directory, and an object reached through a symbolic link below it is refused: a link
/// would let a hostile repository make us read or delete files elsewhere.
/// </summary>
internal sealed partial class DirectoryObjectStore : IObjectStore
{
    private const string TempSuffix = ".tmp";

    public DirectoryObjectStore(string directory)
    {
        Root = Path.GetFullPath(directory);
        Location = Root;
    }

    /// <summary>The directory as an absolute path: what other machines sharing the volume are told.</summary>
    public string Location { get; }

    public string Root { get; }

    public string Describe(string key) => key.Length == 0 ? Root : PathOf(key);

    public Task<Stream?> OpenReadAsync(string key, CancellationToken cancellationToken = default)
    {
        var path = PathOf(key);
        if (LinkOnTheWay(path) is { } link)
            throw new InvalidDataException($"{link} is a symbolic link, not a stored object");
        try
        {
            return Task.FromResult<Stream?>(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return Task.FromResult<Stream?>(null);
        }
    }

    public async Task WriteAsync(string key, Stream content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        await using var writer = await CreateAsync(key, cancellationToken);
        await content.CopyToAsync(writer, 1 << 20, cancellationToken);
        await writer.CommitAsync(cancellationToken);
    }

    public Task<ObjectWriter> CreateAsync(string key, CancellationToken cancellationToken = default) =>
        Task.FromResult<ObjectWriter>(new FileObjectWriter(PathOf(key), overwrite: true));

    public async Task<bool> TryCreateAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        // Written whole under a temporary name, then linked to its name only if that is free: never half a lock.
        await using var writer = new FileObjectWriter(PathOf(key), overwrite: false);
        writer.Write(content.Span); // a few bytes: no reason to leave the thread between looking and taking
        try
        {
            await writer.CommitAsync(cancellationToken);
            return true;
        }
        catch (IOException) when (File.Exists(PathOf(key)))
        {
            return false;
        }
    }

    public Task<bool> HasAtomicCreateAsync(CancellationToken cancellationToken = default) => Task.FromResult(true);

    public Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        File.Delete(PathOf(key));
        return Task.CompletedTask;
    }

    public Task DeletePrefixAsync(string prefix, CancellationToken cancellationToken = default)
    {
        // A directory replaced by a link: the link goes, never what it points to.
        var directory = PathOf(prefix.TrimEnd('/'));
        if (new DirectoryInfo(directory).LinkTarget is not null)
            File.Delete(directory);
        else if (Directory.Exists(directory))
            Directory.Delete(directory, recursive: true);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Walks only the directory the prefix names. Also lists the temporary files of unfinished writes, so that
    /// whoever cleans up debris finds them. A directory that is a symbolic link is looked into one level, so
    /// that what it holds is listed (and refused when read), but never walked further: a link to / must not
    /// make a listing walk the whole machine.
    /// </summary>
    public Task<IReadOnlyList<(string Key, long Bytes)>> ListAsync(string prefix, CancellationToken cancellationToken = default)
    {
        var slash = prefix.LastIndexOf('/');
        var baseKey = slash < 0 ? "" : prefix[..(slash + 1)];
        var directory = baseKey.Length == 0 ? Root : PathOf(baseKey.TrimEnd('/'));
        var objects = new List<(string Key, long Bytes)>();
        if (Directory.Exists(directory))
            Walk(directory, baseKey, throughLink: LinkOnTheWay(directory) is not null, objects);
        IReadOnlyList<(string, long)> listed = [.. objects.Where(o => o.Key.StartsWith(prefix, StringComparison.Ordinal)).OrderBy(o => o.Key, StringComparer.Ordinal)];
        return Task.FromResult(listed);
    }

    private static void Walk(string directory, string keyPrefix, bool throughLink, List<(string Key, long Bytes)> objects)
    {
        foreach (var entry in new DirectoryInfo(directory).EnumerateFileSystemInfos("*", new EnumerationOptions { AttributesToSkip = FileAttributes.None }))
        {
            var key = keyPrefix + entry.Name;
            if (entry is FileInfo file)
                objects.Add((key, file.Exists ? file.Length : 0));
            else if (!throughLink)
                Walk(entry.FullName, key + "/", throughLink: entry.LinkTarget is not null, objects);
        }
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

    /// <summary>The first symbolic link among <paramref name="path"/> and its directories below the root, or null.</summary>
    private string? LinkOnTheWay(string path)
    {
        for (var current = path; current.Length > Root.Length; current = Path.GetDirectoryName(current)!)
        {
            if (new FileInfo(current).LinkTarget is not null)
                return current;
        }

        return null;
    }

    /// <summary>
    /// Gives <paramref name="temp"/> the name <paramref name="path"/> only if that name is free, atomically: a
    /// hard link fails when the name exists (File.Move without overwrite checks first, then renames, and two
    /// racing creators could both win). Windows' move without replace is atomic itself.
    /// </summary>
    private static void LinkExclusively(string temp, string path)
    {
        if (OperatingSystem.IsWindows())
        {
            File.Move(temp, path, overwrite: false);
            return;
        }

        if (Link(SourcePath.ToSystemBytes(temp), SourcePath.ToSystemBytes(path)) != 0)
            throw new IOException($"cannot create {path} (errno {Marshal.GetLastPInvokeError()})");
        File.Delete(temp);
    }

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true)]
    private static partial int Link(byte[] existing, byte[] created);

    /// <summary>A temporary file beside the object, flushed and renamed to the object's name at the commit.</summary>
    private sealed class FileObjectWriter : ObjectWriter
    {
        private readonly string _path;
        private readonly string _temp;
        private readonly bool _overwrite;
        private readonly FileStream _file;
        private bool _committed;

        public FileObjectWriter(string path, bool overwrite)
        {
            _path = path;
            _overwrite = overwrite;
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            _temp = $"{path}.{Guid.NewGuid():N}{TempSuffix}";
            _file = new FileStream(_temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            _file.Write(buffer);
            Written += buffer.Length;
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await _file.WriteAsync(buffer, cancellationToken);
            Written += buffer.Length;
        }

        public override async Task CommitAsync(CancellationToken cancellationToken)
        {
            _file.Flush(flushToDisk: true);
            await _file.DisposeAsync();
            if (_overwrite)
                File.Move(_temp, _path, overwrite: true);
            else
                LinkExclusively(_temp, _path);
            DirectorySync.Flush(Path.GetDirectoryName(_path)!);
            _committed = true;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _file.Dispose();
                if (!_committed)
                    File.Delete(_temp);
            }

            base.Dispose(disposing);
        }
    }
}
