using System.ComponentModel;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace SpanRecovery.Repository;

/// <summary>
/// File-system calls on paths in <see cref="SourcePath"/>'s text form. .NET passes paths to the system as
/// UTF-8 and lists names decoded to UTF-16, which loses every name that is not UTF-8; on Linux these calls go
/// to libc with the exact bytes instead. Elsewhere names are text already and .NET's calls serve.
/// </summary>
internal static partial class SourceFiles
{
    private const int ReadOnly = 0, WriteOnly = 1, Create = 0x40, Exclusive = 0x80, Append = 0x400, NoFollow = 0x20000, CloseOnExec = 0x80000;
    private const int DirentTypeOffset = 18, DirentNameOffset = 19;

    /// <summary>The entries of a directory (not . and ..) with their kinds, links not followed.</summary>
    /// <exception cref="IOException">The directory cannot be read.</exception>
    public static List<(string Name, EntryKind Kind)> List(string directory)
    {
        if (!OperatingSystem.IsLinux())
        {
            return [.. new DirectoryInfo(directory).GetFileSystemInfos()
                .Select(e => (e.Name, e.LinkTarget is not null ? EntryKind.Link : FileStatus.KindOf(e.FullName)))];
        }

        var stream = OpenDirectory(SourcePath.ToSystemBytes(directory));
        if (stream == 0)
            throw LastError();
        try
        {
            var entries = new List<(string, EntryKind)>();
            for (var entry = ReadDirectory(stream); entry != 0; entry = ReadDirectory(stream))
            {
                var name = NameOf(entry);
                if (name is "." or "..")
                    continue;
                var kind = KindOf(Marshal.ReadByte(entry, DirentTypeOffset)) ?? FileStatus.KindOf($"{directory.TrimEnd('/')}/{name}");
                entries.Add((name, kind));
            }

            return entries;
        }
        finally
        {
            _ = CloseDirectory(stream);
        }
    }

    /// <summary>Where a symbolic link points, as its bytes say; null when it cannot be read.</summary>
    public static string? LinkTargetOf(string path)
    {
        if (!OperatingSystem.IsLinux())
            return new FileInfo(path).LinkTarget;
        var target = new byte[4096];
        var length = ReadLink(SourcePath.ToSystemBytes(path), target, target.Length);
        return length <= 0 ? null : SourcePath.FromBytes(target.AsSpan(0, (int)length));
    }

    /// <summary>Opens a source file to read; a link at the end of the path is not followed.</summary>
    /// <exception cref="IOException">It cannot be opened.</exception>
    public static SafeFileHandle OpenRead(string path) =>
        SourcePath.HasRawBytes(path) ? Open(path, ReadOnly | NoFollow | CloseOnExec)
            : File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);

    /// <summary>Creates a file that must not exist yet, to write.</summary>
    /// <exception cref="IOException">It exists or cannot be created.</exception>
    public static SafeFileHandle CreateNew(string path) =>
        SourcePath.HasRawBytes(path) ? Open(path, WriteOnly | Create | Exclusive | NoFollow | CloseOnExec)
            : File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);

    /// <summary>Opens a file to append to, creating it if it does not exist.</summary>
    public static SafeFileHandle OpenAppend(string path) =>
        SourcePath.HasRawBytes(path) ? Open(path, WriteOnly | Create | Append | NoFollow | CloseOnExec)
            : File.OpenHandle(path, FileMode.Append, FileAccess.Write, FileShare.None);

    /// <summary>Creates a directory and its missing parents.</summary>
    public static void CreateDirectory(string path)
    {
        if (!SourcePath.HasRawBytes(path))
        {
            Directory.CreateDirectory(path);
            return;
        }

        if (FileStatus.KindOf(path) == EntryKind.Directory)
            return;
        CreateDirectory(Path.GetDirectoryName(path)!);
        if (MakeDirectory(SourcePath.ToSystemBytes(path), Convert.ToInt32("777", 8)) != 0)
            throw LastError(path);
    }

    /// <summary>Creates a symbolic link at <paramref name="path"/> to <paramref name="target"/>.</summary>
    public static void CreateSymbolicLink(string path, string target)
    {
        if (!SourcePath.HasRawBytes(path) && !SourcePath.HasRawBytes(target))
            File.CreateSymbolicLink(path, target);
        else if (SymbolicLink(SourcePath.ToSystemBytes(target), SourcePath.ToSystemBytes(path)) != 0)
            throw LastError(path);
    }

    /// <summary>Deletes a directory and everything in it, links included but never followed.</summary>
    public static void DeleteTree(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            Directory.Delete(path, recursive: true);
            return;
        }

        foreach (var (name, kind) in List(path))
        {
            var entry = $"{path.TrimEnd('/')}/{name}";
            if (kind == EntryKind.Directory)
                DeleteTree(entry);
            else if (Unlink(SourcePath.ToSystemBytes(entry)) != 0)
                throw LastError(entry);
        }

        if (RemoveDirectory(SourcePath.ToSystemBytes(path)) != 0)
            throw LastError(path);
    }

    /// <summary><paramref name="path"/> and every directory below it, links not followed.</summary>
    public static IEnumerable<string> DirectoriesIn(string path) =>
        List(path).Where(e => e.Kind == EntryKind.Directory).SelectMany(e => DirectoriesIn($"{path.TrimEnd('/')}/{e.Name}")).Prepend(path);

    private static SafeFileHandle Open(string path, int flags)
    {
        if (!OperatingSystem.IsLinux())
            throw new IOException($"{SourcePath.Display(path)}: a name that is not UTF-8 can only be used on Linux");
        var descriptor = OpenFile(SourcePath.ToSystemBytes(path), flags, Convert.ToInt32("666", 8));
        return descriptor >= 0 ? new SafeFileHandle(descriptor, ownsHandle: true) : throw LastError(path);
    }

    private static string NameOf(nint entry)
    {
        unsafe
        {
            var name = new ReadOnlySpan<byte>((byte*)entry + DirentNameOffset, 256);
            return SourcePath.FromBytes(name[..name.IndexOf((byte)0)]);
        }
    }

    /// <summary>A <c>d_type</c>; null (unknown: some file systems do not say) sends the caller to statx.</summary>
    private static EntryKind? KindOf(byte type) => type switch
    {
        8 => EntryKind.File,
        4 => EntryKind.Directory,
        10 => EntryKind.Link,
        1 => EntryKind.Fifo,
        12 => EntryKind.Socket,
        2 or 6 => EntryKind.Device,
        _ => null,
    };

    private static IOException LastError(string? path = null)
    {
        var error = Marshal.GetLastPInvokeError();
        var message = new Win32Exception(error).Message;
        return new IOException(path is null ? message : $"{SourcePath.Display(path)}: {message}", error);
    }

    [LibraryImport("libc", EntryPoint = "opendir", SetLastError = true)]
    private static partial nint OpenDirectory(byte[] path);

    [LibraryImport("libc", EntryPoint = "readdir", SetLastError = true)]
    private static partial nint ReadDirectory(nint stream);

    [LibraryImport("libc", EntryPoint = "closedir")]
    private static partial int CloseDirectory(nint stream);

    [LibraryImport("libc", EntryPoint = "readlink", SetLastError = true)]
    private static partial nint ReadLink(byte[] path, byte[] buffer, nint size);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true)]
    private static partial int OpenFile(byte[] path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "mkdir", SetLastError = true)]
    private static partial int MakeDirectory(byte[] path, int mode);

    [LibraryImport("libc", EntryPoint = "unlink", SetLastError = true)]
    private static partial int Unlink(byte[] path);

    [LibraryImport("libc", EntryPoint = "rmdir", SetLastError = true)]
    private static partial int RemoveDirectory(byte[] path);

    [LibraryImport("libc", EntryPoint = "symlink", SetLastError = true)]
    private static partial int SymbolicLink(byte[] target, byte[] path);
}
