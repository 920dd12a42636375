using Google.Protobuf;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using SpanRecovery.Otlp;
using SpanRecovery.Restore;

namespace SpanRecovery.Tests.Restore;

/// <summary>Synthetic TracesData with recognisable resources and scopes, and a helper to restore records.</summary>
internal static class TestTraces
{
    public static TracesData Build(int seed, int resources, int scopes, int spans, int payloadBytes = 50)
    {
        var random = new Random(seed);
        var data = new TracesData();
        for (var r = 0; r < resources; r++)
        {
            var resourceSpans = new ResourceSpans
            {
                Resource = new Resource { Attributes = { Attribute("service.name", $"svc-{seed}-{r}") } },
                SchemaUrl = "https://opentelemetry.io/schemas/1.21.0",
            };
            for (var s = 0; s < scopes; s++)
            {
                var scopeSpans = new ScopeSpans { Scope = new InstrumentationScope { Name = $"scope-{s}", Version = "1.0" }, SchemaUrl = $"scope-schema-{s}" };
                for (var i = 0; i < spans; i++)
                    scopeSpans.Spans.Add(Span(random, payloadBytes));
                resourceSpans.ScopeSpans.Add(scopeSpans);
            }

            data.ResourceSpans.Add(resourceSpans);
        }

        return data;
    }

    public static Span Span(Random random, int payloadBytes) => new()
    {
        TraceId = RandomBytes(random, 16),
        SpanId = RandomBytes(random, 8),
        Name = "operation",
        StartTimeUnixNano = 1_700_000_000_000_000_000,
        EndTimeUnixNano = 1_700_000_000_000_001_000,
        Attributes = { Attribute("payload", new string('x', payloadBytes)) },
    };

    public static List<(string TraceId, string SpanId)> SpanIds(IEnumerable<TracesData> data) =>
        [.. data.SelectMany(d => d.ResourceSpans).SelectMany(r => r.ScopeSpans.Concat(r.InstrumentationLibrarySpans)).SelectMany(s => s.Spans)
            .Select(s => (Convert.ToHexStringLower(s.TraceId.Span), Convert.ToHexStringLower(s.SpanId.Span)))];

    public static OtlpHttpOptions FastOptions(int maxBatchBytes = 4096, int maxConcurrency = 2, int maxAttempts = 5) =>
        new(maxBatchBytes, maxConcurrency, maxAttempts, TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(10));

    /// <summary>Restores <paramref name="records"/> to <paramref name="receiver"/> in one run.</summary>
    public static async Task<OtlpDeliveryResult> RestoreAsync(
        OtlpTestReceiver receiver, IEnumerable<byte[]> records, OtlpHttpOptions options, string? journal = null, string key = "key",
        TextWriter? log = null, RecordEncoding encoding = RecordEncoding.Protobuf, CancellationToken cancellationToken = default)
    {
        await using var target = new BatchDelivery(new BatchSender(receiver.Endpoint, options, log), options, journal is null ? null : new ResumeJournal(journal, key), log);
        foreach (var record in records)
            target.AddRecord(record, encoding, cancellationToken);
        return await target.CompleteAsync(cancellationToken);
    }

    private static ByteString RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return ByteString.CopyFrom(bytes);
    }

    private static KeyValue Attribute(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };
}
