using System.Runtime.InteropServices;

namespace SpanRecovery.Repository;

/// <summary>
/// Makes names durable. A file flushed to disk and renamed into place survives a crash only once the
/// directory holding the new name is flushed too (POSIX fsync of the directory); without it a power loss can
/// bring back the old name — an older manifest, the old restore target. Windows journals renames and has no
/// directory handle to flush, so there it does nothing.
/// </summary>
internal static partial class DirectorySync
{
    public static void Flush(string directory)
    {
        if (OperatingSystem.IsWindows())
            return;
        var fd = Open(SourcePath.ToSystemBytes(directory), 0 /* O_RDONLY */);
        if (fd < 0)
            throw new IOException($"cannot open directory {SourcePath.Display(directory)} to flush it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            if (Fsync(fd) != 0)
                throw new IOException($"cannot flush directory {SourcePath.Display(directory)} to disk (errno {Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true)]
    private static partial int Open(byte[] path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
