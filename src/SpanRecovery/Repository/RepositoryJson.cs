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
}
