using System.Buffers.Binary;
using Google.Protobuf;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using ZstdSharp;

namespace SpanRecovery.Benchmarks;

/// <summary>
/// Realistic benchmark records, built with Google.Protobuf so the benchmarks do not depend on the generator:
/// traces of 8 spans (a root and its descendants), each span with a name, kind, times, 5–10 attributes, an
/// event and a status (≈ 250 bytes on the wire); 512 spans per record, grouped under 4 resources × 1 scope as
/// an SDK batch would be. Deterministic for a seed.
/// </summary>
public static class BenchmarkData
{
    public const int SpansPerRecord = 512;
    private const int SpansPerTrace = 8;
    private const int ResourcesPerRecord = 4;

    private static readonly string[] Services = ["checkout", "cart", "frontend", "payment", "shipping", "product-catalog"];
    private static readonly string[] Operations =
    [
        "GET /api/cart", "POST /api/checkout", "oteldemo.CartService/GetCart", "SELECT orders", "redis GET",
        "HTTP POST", "oteldemo.PaymentService/Charge", "ProductCatalogService/ListProducts",
    ];

    /// <summary>Semantic-convention keys (the older, shorter ones many SDKs still emit) with typical values; an empty array means an integer value.</summary>
    private static readonly (string Key, string[] Values)[] Attributes =
    [
        ("http.method", ["GET", "POST", "PUT"]),
        ("http.route", ["/api/cart", "/api/checkout", "/api/products"]),
        ("http.status_code", []),
        ("net.peer.name", ["cart", "checkout", "frontend-proxy"]),
        ("net.peer.port", []),
        ("db.system", ["postgresql", "redis"]),
        ("rpc.system", ["grpc"]),
        ("rpc.method", ["GetCart", "Charge", "ListProducts"]),
        ("enduser.id", []),
        ("cart.items", []),
    ];

    /// <summary>Serialized <c>TracesData</c> records holding <paramref name="records"/> × 512 spans.</summary>
    public static byte[][] Records(int records, int seed = 42)
    {
        var random = new Random(seed);
        var resources = Enumerable.Range(0, Services.Length).Select(MakeResource).ToArray();
        var scope = new InstrumentationScope { Name = "OpenTelemetry.Instrumentation.AspNetCore", Version = "1.12.0" };
        var baseTime = (ulong)(new DateTimeOffset(2025, 11, 24, 10, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds() * 1_000_000);
        var result = new byte[records][];
        var traceNumber = 0;
        for (var r = 0; r < records; r++)
        {
            var data = new TracesData();
            var groups = new ScopeSpans[ResourcesPerRecord];
            for (var g = 0; g < ResourcesPerRecord; g++)
            {
                groups[g] = new ScopeSpans { Scope = scope };
                data.ResourceSpans.Add(new ResourceSpans
                {
                    Resource = resources[(r + g) % resources.Length],
                    ScopeSpans = { groups[g] },
                    SchemaUrl = "https://opentelemetry.io/schemas/1.26.0",
                });
            }

            for (var t = 0; t < SpansPerRecord / SpansPerTrace; t++, traceNumber++)
            {
                var trace = Trace(random, traceNumber, baseTime + (ulong)traceNumber * 1_000_000);
                foreach (var span in trace)
                    groups[random.Next(ResourcesPerRecord)].Spans.Add(span);
            }

            result[r] = data.ToByteArray();
        }

        return result;
    }

    /// <summary>Whole-file zstd at level 3, as the collector's native compression or <c>zstd -3</c> writes it.</summary>
    public static byte[] Zstd(byte[] bytes)
    {
        using var compressor = new Compressor(3);
        return compressor.Wrap(bytes).ToArray();
    }

    private static Resource MakeResource(int index) => new()
    {
        Attributes =
        {
            String("service.name", Services[index]),
            String("service.version", "2.1." + index),
            String("deployment.environment.name", "production"),
            String("host.name", $"ip-10-0-{index}-17.eu-west-1.compute.internal"),
            String("telemetry.sdk.language", "dotnet"),
        },
    };

    private static Span[] Trace(Random random, int traceNumber, ulong start)
    {
        var traceId = new byte[16];
        random.NextBytes(traceId);
        BinaryPrimitives.WriteInt32BigEndian(traceId, traceNumber + 1); // never zero, never a repeat
        var spans = new Span[SpansPerTrace];
        for (var i = 0; i < spans.Length; i++)
        {
            var spanId = new byte[8];
            random.NextBytes(spanId);
            spanId[0] = (byte)(i + 1); // non-zero
            var spanStart = start + (ulong)i * 1_000_000;
            var span = new Span
            {
                TraceId = ByteString.CopyFrom(traceId),
                SpanId = ByteString.CopyFrom(spanId),
                ParentSpanId = i == 0 ? ByteString.Empty : spans[random.Next(i)].SpanId,
                Name = Operations[random.Next(Operations.Length)],
                Kind = (Span.Types.SpanKind)(1 + random.Next(5)),
                StartTimeUnixNano = spanStart,
                EndTimeUnixNano = spanStart + (ulong)random.Next(50_000, 900_000_000),
                Status = new Status { Code = random.Next(20) == 0 ? Status.Types.StatusCode.Error : Status.Types.StatusCode.Ok },
                Flags = 0x101,
            };
            var attributes = 5 + random.Next(6);
            var first = random.Next(Attributes.Length);
            for (var a = 0; a < attributes; a++)
            {
                var (key, values) = Attributes[(first + a) % Attributes.Length];
                span.Attributes.Add(values.Length == 0 ? Int(key, random.Next(1, 65536)) : String(key, values[random.Next(values.Length)]));
            }

            span.Events.Add(new Span.Types.Event { Name = "retry", TimeUnixNano = spanStart + 10_000 });
            spans[i] = span;
        }

        return spans;
    }

    private static KeyValue String(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

    private static KeyValue Int(string key, long value) => new() { Key = key, Value = new AnyValue { IntValue = value } };
}
