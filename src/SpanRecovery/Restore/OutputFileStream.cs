using SpanRecovery.Otlp;
using SpanRecovery.Repository;
using SpanRecovery.Storage;

namespace SpanRecovery.Restore;

/// <summary>
/// A file that a restore or a repair writes. Its write errors (a full disk, a quota, a file-size limit) become
/// <see cref="OutputWriteException"/>, naming the file: the readers whose records are written here take an
/// <see cref="IOException"/> for a problem of their own input, and a full disk must not pass for an unreadable
/// backup or archive. <see cref="Flush"/> flushes to disk: what is restored or repaired must survive a crash.
/// </summary>
internal sealed class OutputFileStream : WriteOnlyStream
{
    private readonly FileStream _file;
    private readonly string _path;

    private OutputFileStream(FileStream file, string path)
    {
        _file = file;
        _path = path;
    }

    /// <summary>Creates the file, which must not exist yet.</summary>
    public static OutputFileStream CreateNew(string path, int bufferSize) =>
        Open(path, () => new FileStream(SourceFiles.CreateNew(path), FileAccess.Write, bufferSize));

    /// <summary>Creates the file, replacing one that is there.</summary>
    public static OutputFileStream Replace(string path, int bufferSize) =>
        Open(path, () => new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize));

    /// <summary>Opens the file at its end, creating it when missing: what is written follows what it holds.</summary>
    public static OutputFileStream Append(string path, int bufferSize) =>
        Open(path, () =>
        {
            var file = new FileStream(SourceFiles.OpenAppend(path), FileAccess.Write, bufferSize);
            file.Seek(0, SeekOrigin.End);
            return file;
        });

    private static OutputFileStream Open(string path, Func<FileStream> open)
    {
        try
        {
            return new OutputFileStream(open(), path);
        }
        catch (Exception e) when (OutputWriteException.IsWriteError(e))
        {
            throw OutputWriteException.For(path, e);
        }
    }

    public override void WriteByte(byte value) => Write(new ReadOnlySpan<byte>(in value));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        try
        {
            _file.Write(buffer);
        }
        catch (Exception e) when (OutputWriteException.IsWriteError(e))
        {
            throw OutputWriteException.For(_path, e);
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            await _file.WriteAsync(buffer, cancellationToken);
        }
        catch (Exception e) when (OutputWriteException.IsWriteError(e))
        {
            throw OutputWriteException.For(_path, e);
        }
    }

    /// <summary>Writes what is buffered and flushes the file to disk.</summary>
    public override void Flush()
    {
        try
        {
            _file.Flush(flushToDisk: true);
        }
        catch (Exception e) when (OutputWriteException.IsWriteError(e))
        {
            throw OutputWriteException.For(_path, e);
        }
    }

    protected override void Dispose(bool disposing)
    {
        try
        {
            if (disposing)
                _file.Dispose(); // writes what is still buffered
        }
        catch (Exception e) when (OutputWriteException.IsWriteError(e))
        {
            throw OutputWriteException.For(_path, e);
        }
        finally
        {
            base.Dispose(disposing);
        }
    }
}
