using System.Globalization;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace SpanRecovery.Generation;

/// <summary>What a span stands for; decides its kind, scope, name and attributes.</summary>
internal enum SpanShape
{
    HttpServer,
    HttpClient,
    Database,
    Internal,
    Producer,
    Consumer,
}

/// <summary>
/// Fills in a span the way its shape's instrumentation would: semantic-convention names and attributes of
/// every AnyValue type the archives use (string, int, double, bool), a few events, and an error status now
/// and then. Times and IDs are set by the caller before; events fall inside the span.
/// </summary>
internal sealed class SpanContent(Random random)
{
    private static readonly string[] ReadMethods = ["GET", "GET", "GET", "PUT", "DELETE"];
    private static readonly string[] WriteMethods = ["GET", "POST"];
    private static readonly string[] DbOperations = ["SELECT", "SELECT", "SELECT", "INSERT", "UPDATE"];
    private static readonly string[] Exceptions = ["System.TimeoutException", "ECONNRESET", "java.net.SocketTimeoutException"];

    // Attributes whose value comes from a small set are shared between spans (protobuf messages may be: they
    // have no link to a parent). Fewer objects per span keep the garbage collector, the generator's main
    // cost, out of the way.
    private readonly Dictionary<(string Key, string Value), KeyValue> sharedStrings = [];
    private readonly Dictionary<(string Key, long Value), KeyValue> sharedInts = [];

    public static InstrumentationScope ScopeOf(SpanShape shape, ServiceInstance instance) => shape switch
    {
        SpanShape.HttpServer or SpanShape.HttpClient => instance.Scopes.Http,
        SpanShape.Database => instance.Scopes.Database,
        _ => instance.Scopes.Application,
    };

    /// <param name="peer">The called service of a client or producer span; null otherwise.</param>
    public void Fill(Span span, SpanShape shape, ServiceInstance instance, ServiceInstance? peer)
    {
        switch (shape)
        {
            case SpanShape.HttpServer:
                HttpServer(span, instance);
                break;
            case SpanShape.HttpClient:
                HttpClient(span, peer!);
                break;
            case SpanShape.Database:
                Database(span, instance);
                break;
            case SpanShape.Internal:
                Internal(span, instance);
                break;
            case SpanShape.Producer:
                Messaging(span, Span.Types.SpanKind.Producer, $"{peer!.Table}-events", "publish");
                span.Attributes.Add(KeyValues.Int("messaging.message.body.size", random.Next(200, 4000)));
                break;
            case SpanShape.Consumer:
                Messaging(span, Span.Types.SpanKind.Consumer, $"{instance.Table}-events", "process");
                span.Attributes.Add(Shared("messaging.consumer.group.name", instance.Name));
                break;
        }
    }

    private void HttpServer(Span span, ServiceInstance instance)
    {
        var (method, route, path) = Request(instance);
        var failed = random.NextDouble() < 0.02;
        span.Name = $"{method} {route}";
        span.Kind = Span.Types.SpanKind.Server;
        span.Attributes.Add(Shared("http.request.method", method));
        span.Attributes.Add(Shared("http.route", route));
        span.Attributes.Add(KeyValues.String("url.path", path));
        span.Attributes.Add(Shared("url.scheme", "http"));
        span.Attributes.Add(Shared("server.address", instance.Name));
        span.Attributes.Add(Shared("server.port", 8080));
        span.Attributes.Add(Shared("network.protocol.version", "1.1"));
        span.Attributes.Add(Shared("http.response.status_code", failed ? 500 : 200));
        if (failed)
            Fail(span);
    }

    private void HttpClient(Span span, ServiceInstance peer)
    {
        var (method, _, path) = Request(peer);
        span.Name = method;
        span.Kind = Span.Types.SpanKind.Client;
        span.Attributes.Add(Shared("http.request.method", method));
        span.Attributes.Add(Shared("server.address", peer.Name));
        span.Attributes.Add(Shared("server.port", 8080));
        span.Attributes.Add(KeyValues.String("url.full", $"http://{peer.Name}:8080{path}"));
        span.Attributes.Add(Shared("http.response.status_code", 200));
    }

    private void Database(Span span, ServiceInstance instance)
    {
        var operation = DbOperations[random.Next(DbOperations.Length)];
        span.Name = $"{operation} shop.{instance.Table}";
        span.Kind = Span.Types.SpanKind.Client;
        span.Attributes.Add(Shared("db.system.name", "postgresql"));
        span.Attributes.Add(Shared("db.namespace", "shop"));
        span.Attributes.Add(Shared("db.collection.name", instance.Table));
        span.Attributes.Add(Shared("db.operation.name", operation));
        span.Attributes.Add(Shared("db.query.text", operation switch
        {
            "SELECT" => $"SELECT * FROM {instance.Table} WHERE id = $1",
            "INSERT" => $"INSERT INTO {instance.Table} VALUES ($1, $2, $3)",
            _ => $"UPDATE {instance.Table} SET status = $2 WHERE id = $1",
        }));
        span.Attributes.Add(Shared("server.address", "postgres.shop.internal"));
        if (operation == "SELECT")
            span.Attributes.Add(Shared("db.response.returned_rows", random.Next(0, 50)));
    }

    private void Internal(Span span, ServiceInstance instance)
    {
        var cacheHit = random.NextDouble() < 0.7;
        span.Name = instance.Operations[random.Next(instance.Operations.Length)];
        span.Kind = Span.Types.SpanKind.Internal;
        span.Attributes.Add(Shared("app.items.count", random.Next(1, 20)));
        span.Attributes.Add(KeyValues.Double("app.amount", Math.Round(random.NextDouble() * 500, 2)));
        span.Attributes.Add(KeyValues.Bool("app.cache.hit", cacheHit));
        if (!cacheHit)
        {
            span.Events.Add(new Span.Types.Event
            {
                TimeUnixNano = TimeInside(span),
                Name = "cache.miss",
                Attributes = { KeyValues.String("app.cache.key", $"{instance.Table}:{random.Next(100000)}") },
            });
        }
    }

    private void Messaging(Span span, Span.Types.SpanKind kind, string topic, string operation)
    {
        span.Name = $"{operation} {topic}";
        span.Kind = kind;
        span.Attributes.Add(Shared("messaging.system", "kafka"));
        span.Attributes.Add(Shared("messaging.destination.name", topic));
        span.Attributes.Add(Shared("messaging.operation.type", operation));
        span.Attributes.Add(Shared("messaging.destination.partition.id", random.Next(12).ToString(CultureInfo.InvariantCulture)));
    }

    /// <summary>An error status with the exception event that SDKs record with it.</summary>
    private void Fail(Span span)
    {
        var exception = Exceptions[random.Next(Exceptions.Length)];
        span.Status = new Status { Code = Status.Types.StatusCode.Error, Message = exception };
        span.Events.Add(new Span.Types.Event
        {
            TimeUnixNano = TimeInside(span),
            Name = "exception",
            Attributes =
            {
                Shared("exception.type", exception),
                Shared("exception.message", "upstream request timed out"),
            },
        });
    }

    /// <summary>A method, route and concrete path of one of the instance's HTTP routes.</summary>
    private (string Method, string Route, string Path) Request(ServiceInstance instance)
    {
        var route = instance.Routes[random.Next(instance.Routes.Length)];
        var parameter = route.IndexOf('{', StringComparison.Ordinal);
        if (parameter < 0)
            return (WriteMethods[random.Next(WriteMethods.Length)], route, route);
        var path = string.Concat(route.AsSpan(0, parameter), random.Next(1000, 100000).ToString(CultureInfo.InvariantCulture), route.AsSpan(route.IndexOf('}', parameter) + 1));
        return (ReadMethods[random.Next(ReadMethods.Length)], route, path);
    }

    private KeyValue Shared(string key, string value)
    {
        if (!sharedStrings.TryGetValue((key, value), out var keyValue))
            sharedStrings.Add((key, value), keyValue = KeyValues.String(key, value));
        return keyValue;
    }

    private KeyValue Shared(string key, long value)
    {
        if (!sharedInts.TryGetValue((key, value), out var keyValue))
            sharedInts.Add((key, value), keyValue = KeyValues.Int(key, value));
        return keyValue;
    }

    private ulong TimeInside(Span span) =>
        span.StartTimeUnixNano + (ulong)(random.NextDouble() * (span.EndTimeUnixNano - span.StartTimeUnixNano));
}
