namespace SpanRecovery.Storage;

/// <summary>The local file system a path is on, as work that writes there must know it before it starts.</summary>
internal static class LocalDisk
{
    /// <summary>
    /// The bytes this process may still write on the file system of <paramref name="path"/>, which need not
    /// exist yet: its nearest existing ancestor is asked, so nothing is created to find out.
    /// </summary>
    public static long FreeBytes(string path)
    {
        var existing = Path.GetFullPath(path);
        while (!Directory.Exists(existing) && Path.GetDirectoryName(existing) is { } parent)
            existing = parent;
        return new DriveInfo(existing).AvailableFreeSpace;
    }
}
