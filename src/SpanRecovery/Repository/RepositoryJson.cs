using System.Text.Json;
using System.Text.Json.Serialization;

namespace SpanRecovery.Repository;

/// <summary>The one JSON dialect of repository files and <c>--json</c> output: camelCase, indented, nulls kept.</summary>
internal static class RepositoryJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static byte[] Serialize<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, Options);

    public static T Deserialize<T>(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize<T>(json, Options) ?? throw new JsonException("null document");

    /// <summary>
    /// Writes a file so that it is either absent or complete: a temp file in the same directory, flushed to
    /// disk, then renamed over the target and the directory flushed. A crash leaves at most the temp file,
    /// which readers ignore.
    /// </summary>
    public static void WriteAtomically(string path, ReadOnlySpan<byte> bytes)
    {
        var temp = path + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            file.Write(bytes);
            file.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
        DirectorySync.Flush(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }
}
