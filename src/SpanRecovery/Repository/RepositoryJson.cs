using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace SpanRecovery.Repository;

/// <summary>The one JSON dialect of repository files and <c>--json</c> output: camelCase, indented, nulls kept.</summary>
internal static class RepositoryJson
{
    public static byte[] Serialize<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, TypeInfo<T>());

    public static T Deserialize<T>(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize(json, TypeInfo<T>()) ?? throw new JsonException("null document");

    public static async ValueTask<T> DeserializeAsync<T>(Stream json, CancellationToken cancellationToken) =>
        await JsonSerializer.DeserializeAsync(json, TypeInfo<T>(), cancellationToken) ?? throw new JsonException("null document");

    /// <summary>The generated serializer of <typeparamref name="T"/>; its options (camelCase, indented, nulls kept) are on the context.</summary>
    private static JsonTypeInfo<T> TypeInfo<T>() =>
        (JsonTypeInfo<T>?)RepositoryJsonContext.Default.GetTypeInfo(typeof(T))
        ?? throw new NotSupportedException($"{typeof(T).Name} is not listed in {nameof(RepositoryJsonContext)}");
}
