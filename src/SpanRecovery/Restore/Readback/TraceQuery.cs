using System.Net;
using System.Text.Json;

namespace SpanRecovery.Restore;

/// <summary>
/// Asks a backend's query API for one trace and returns the span IDs it holds. Each API wraps OTLP/JSON its own
/// way: Tempo answers with the ResourceSpans under <c>batches</c> (older versions) or <c>resourceSpans</c>, Jaeger
/// with a TracesData under <c>result</c> (one or more JSON objects, as its streaming gateway writes them), the
/// Aspire Dashboard under <c>data</c>. Span IDs may be hex (OTLP/JSON) or base64 (Tempo's protobuf JSON).
/// </summary>
internal sealed class TraceQuery(HttpClient client, ReadbackOptions options)
{
    private static readonly JsonReaderOptions ReaderOptions = new() { AllowMultipleValues = true, MaxDepth = 128 };

    /// <summary>What one query found: the span IDs, or that the trace is not (yet) there, or a problem.</summary>
    public readonly record struct Answer(HashSet<ulong>? Spans, string? Transient, string? Fatal);

    public async Task<Answer> GetAsync(UInt128 traceId, CancellationToken cancellationToken)
    {
        var uri = TraceUri(SentSpans.Hex(traceId));
        try
        {
            using var response = await client.GetAsync(uri, cancellationToken);
            if (response.StatusCode == HttpStatusCode.NotFound)
                return new Answer([], null, null);
            if (!response.IsSuccessStatusCode)
            {
                var problem = $"GET {uri}: {(int)response.StatusCode} {response.ReasonPhrase}";
                return (int)response.StatusCode is 429 or >= 500 ? new Answer(null, problem, null) : new Answer(null, null, problem);
            }

            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            return new Answer(SpanIds(body), null, null);
        }
        catch (HttpRequestException e)
        {
            return new Answer(null, $"GET {uri}: {e.Message}", null);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new Answer(null, $"GET {uri}: no response within {client.Timeout.TotalSeconds:0.#} s", null);
        }
        catch (JsonException e)
        {
            return new Answer(null, null, $"GET {uri}: the answer is not the JSON this API returns ({e.Message})");
        }
    }

    private Uri TraceUri(string traceId)
    {
        var path = options.Kind switch
        {
            ReadbackKind.Tempo => "api/traces/",
            ReadbackKind.Jaeger => "api/v3/traces/",
            _ => "api/telemetry/traces/",
        };
        var builder = new UriBuilder(options.Url);
        builder.Path = builder.Path.TrimEnd('/') + "/" + path + traceId;
        return builder.Uri;
    }

    /// <summary>Every span ID in the answer's OTLP/JSON, wherever this API puts it.</summary>
    private HashSet<ulong> SpanIds(byte[] body)
    {
        var spans = new HashSet<ulong>();
        var reader = new Utf8JsonReader(body, ReaderOptions);
        while (reader.Read())
        {
            using (var value = JsonDocument.ParseValue(ref reader))
            {
                var traces = options.Kind switch
                {
                    ReadbackKind.Jaeger => Property(value.RootElement, "result"),
                    ReadbackKind.Aspire => Property(value.RootElement, "data"),
                    _ => value.RootElement,
                };
                foreach (var resource in Items(traces, "resourceSpans", "batches"))
                {
                    foreach (var scope in Items(resource, "scopeSpans", "instrumentationLibrarySpans"))
                    {
                        foreach (var span in Items(scope, "spans", "spans"))
                        {
                            if (Property(span, "spanId") is { ValueKind: JsonValueKind.String } id && ParseSpanId(id.GetString()!) is { } spanId)
                                spans.Add(spanId);
                        }
                    }
                }
            }
        }

        return spans;
    }

    private static JsonElement Property(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? value : default;

    /// <summary>The items of an array property under either name; none when there is no such array.</summary>
    private static JsonElement.ArrayEnumerator Items(JsonElement owner, string name, string otherName)
    {
        var array = Property(owner, name);
        if (array.ValueKind != JsonValueKind.Array)
            array = Property(owner, otherName);
        return array.ValueKind == JsonValueKind.Array ? array.EnumerateArray() : default;
    }

    /// <summary>16 hex digits, or 8 bytes in base64; anything else is no span ID.</summary>
    private static ulong? ParseSpanId(string id)
    {
        Span<byte> bytes = stackalloc byte[8];
        if (id.Length == 16 && Convert.FromHexString(id, bytes, out _, out var written) == System.Buffers.OperationStatus.Done && written == 8)
            return System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes);
        if (id.Length == 12 && Convert.TryFromBase64String(id, bytes, out written) && written == 8)
            return System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes);
        return null;
    }
}
