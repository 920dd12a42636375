using System.Runtime.InteropServices;

namespace SpanRecovery.Repository;

/// <summary>What an entry of the file system is, without following a link at its end.</summary>
internal enum EntryKind
{
    File,
    Directory,
    Link,
    Fifo,
    Socket,
    Device,
    Unknown,
}

/// <summary>
/// <c>statx</c> (Linux), which .NET does not expose: the kind of an entry (a FIFO is not a file) and its
/// identity — device and inode — which names a directory however it is reached, through links or through
/// another mount of the same file system. <c>struct statx</c> has one layout on every architecture.
/// </summary>
internal static partial class FileStatus
{
    private const int AtCurrentDirectory = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxTypeAndInode = 0x1 | 0x100;
    private const int ModeOffset = 28;
    private const int InodeOffset = 32;
    private const int DeviceMajorOffset = 136;
    private const int DeviceMinorOffset = 140;

    /// <param name="path">In <see cref="SourcePath"/>'s text form.</param>
    public static EntryKind KindOf(string path)
    {
        Span<byte> status = stackalloc byte[256];
        if (!OperatingSystem.IsLinux())
            return new FileInfo(path).LinkTarget is not null ? EntryKind.Link : Directory.Exists(path) ? EntryKind.Directory : File.Exists(path) ? EntryKind.File : EntryKind.Unknown;
        if (Statx(AtCurrentDirectory, SourcePath.ToSystemBytes(path), AtSymlinkNoFollow, StatxTypeAndInode, ref MemoryMarshal.GetReference(status)) != 0)
            return EntryKind.Unknown;
        return (BitConverter.ToUInt16(status[ModeOffset..]) & 0xF000) switch
        {
            0x8000 => EntryKind.File,
            0x4000 => EntryKind.Directory,
            0xA000 => EntryKind.Link,
            0x1000 => EntryKind.Fifo,
            0xC000 => EntryKind.Socket,
            0x2000 or 0x6000 => EntryKind.Device,
            _ => EntryKind.Unknown,
        };
    }

    /// <summary>(device, inode) of what <paramref name="path"/> leads to (links followed); null where it does not exist or the platform has no statx.</summary>
    public static (ulong Device, ulong Inode)? IdentityOf(string path)
    {
        Span<byte> status = stackalloc byte[256];
        if (!OperatingSystem.IsLinux() || Statx(AtCurrentDirectory, SourcePath.ToSystemBytes(path), 0, StatxTypeAndInode, ref MemoryMarshal.GetReference(status)) != 0)
            return null;
        var device = ((ulong)BitConverter.ToUInt32(status[DeviceMajorOffset..]) << 32) | BitConverter.ToUInt32(status[DeviceMinorOffset..]);
        return (device, BitConverter.ToUInt64(status[InodeOffset..]));
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static partial int Statx(int directory, byte[] path, int flags, uint mask, ref byte status);
}
