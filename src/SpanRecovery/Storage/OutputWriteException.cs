using SpanRecovery.Repository;

namespace SpanRecovery.Storage;

/// <summary>
/// A file or directory that we write could not be written (a full disk, a quota, a file-size limit): a restored or
/// repaired file (<see cref="Restore.OutputFileStream"/>), or a repository's lock. Not an <see cref="IOException"/>, so
/// that the readers whose records are being written do not take it for a problem of their input.
/// </summary>
internal sealed class OutputWriteException(string message, Exception inner) : Exception(message, inner)
{
    /// <summary>What the system answers a write it cannot take; .NET reports EFBIG as an argument out of range.</summary>
    public static bool IsWriteError(Exception e) => e is IOException or UnauthorizedAccessException or ArgumentOutOfRangeException;

    /// <summary>The error, naming the file once (.NET names it in some messages, not in others).</summary>
    public static OutputWriteException For(string path, Exception e)
    {
        var reason = e is ArgumentOutOfRangeException
            ? "the file would outgrow what its file system or the process's file-size limit allows"
            : e.Message.Replace($" : '{path}'", "", StringComparison.Ordinal);
        return new($"cannot write {SourcePath.Display(path)}: {reason}", e);
    }
}
