using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace SpanRecovery.Repository;

/// <summary>The one JSON dialect of repository files and <c>--json</c> output: camelCase, indented, nulls kept.</summary>
internal static class RepositoryJson
{
    public static byte[] Serialize<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, TypeInfo<T>());

    public static T Deserialize<T>(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize(json, TypeInfo<T>()) ?? throw new JsonException("null document");

    /// <summary>The generated serializer of <typeparamref name="T"/>; its options (camelCase, indented, nulls kept) are on the context.</summary>
    private static JsonTypeInfo<T> TypeInfo<T>() =>
        (JsonTypeInfo<T>?)RepositoryJsonContext.Default.GetTypeInfo(typeof(T))
        ?? throw new NotSupportedException($"{typeof(T).Name} is not listed in {nameof(RepositoryJsonContext)}");

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
