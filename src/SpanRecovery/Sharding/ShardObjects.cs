using System.Text.Json;
using SpanRecovery.Repository;
using SpanRecovery.Storage;

namespace SpanRecovery.Sharding;

/// <summary>The keys of a work location (docs/scale-out.md) and reading and writing its JSON objects.</summary>
internal static class ShardObjects
{
    public static string Partition(int task, int partition) => $"maps/{task}/{partition:D4}.part";

    public static string MapDone(int task) => $"maps/{task}/done.json";

    public static string ReduceDone(int partition) => $"reduces/{partition}.json";

    /// <summary>The traces with findings of one partition, as <c>--traces-out</c> lines; written before <see cref="ReduceDone"/>.</summary>
    public static string ReduceTraces(int partition) => $"reduces/{partition}.traces.jsonl";

    public static async Task<T?> ReadJsonAsync<T>(IObjectStore store, string key, CancellationToken cancellationToken)
        where T : class
    {
        await using var stream = await store.OpenReadAsync(key, cancellationToken);
        if (stream is null)
            return null;
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, cancellationToken);
        try
        {
            return RepositoryJson.Deserialize<T>(buffer.ToArray());
        }
        catch (JsonException e)
        {
            throw new ShardException($"{store.Describe(key)} is not valid JSON: {e.Message}", ShardError.Damaged);
        }
    }

    public static async Task WriteJsonAsync<T>(IObjectStore store, string key, T value, CancellationToken cancellationToken)
    {
        using var stream = new MemoryStream(RepositoryJson.Serialize(value));
        await store.WriteAsync(key, stream, cancellationToken);
    }
}
