using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;

namespace SpanRecovery.Generation;

/// <summary>
/// The shop the generated traces come from: services in several languages, each running as two instances
/// (one resource each) with the instrumentation scopes its language's SDK would report.
/// </summary>
internal static class ServiceCatalog
{
    public const string SchemaUrl = "https://opentelemetry.io/schemas/1.34.0";

    private sealed record Language(string Name, string SdkVersion, string HttpScope, string HttpScopeVersion, string DbScope, string DbScopeVersion);

    private static readonly Language DotNet = new("dotnet", "1.12.0", "Microsoft.AspNetCore", "10.0.0", "Npgsql", "9.0.3");
    private static readonly Language Go = new("go", "1.37.0", "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp", "0.62.0", "github.com/XSAM/otelsql", "0.39.0");
    private static readonly Language Node = new("nodejs", "2.0.1", "@opentelemetry/instrumentation-http", "0.203.0", "@opentelemetry/instrumentation-pg", "0.55.0");
    private static readonly Language Python = new("python", "1.36.0", "opentelemetry.instrumentation.flask", "0.57b0", "opentelemetry.instrumentation.psycopg", "0.57b0");
    private static readonly Language Java = new("java", "1.52.0", "io.opentelemetry.tomcat-10.0", "2.18.1-alpha", "io.opentelemetry.jdbc", "2.18.1-alpha");

    /// <summary>All instances; the first two are the frontend, where every trace enters.</summary>
    public static IReadOnlyList<ServiceInstance> Instances { get; } =
    [
        .. Service("frontend", "2.4.1", Node, ["/", "/api/products", "/api/cart", "/api/checkout"], ["RenderPage", "LoadSession"], "sessions"),
        .. Service("cart", "1.9.0", DotNet, ["/api/cart/{userId}", "/api/cart/{userId}/items"], ["CalculateCartTotal", "ValidateCart"], "carts"),
        .. Service("checkout", "3.1.2", Go, ["/api/checkout", "/api/orders/{orderId}"], ["PrepareOrder", "ReserveStock"], "orders"),
        .. Service("payment", "1.2.7", Node, ["/api/payments", "/api/payments/{paymentId}"], ["ChargeCard", "CheckFraud"], "payments"),
        .. Service("product-catalog", "5.0.3", Go, ["/api/products", "/api/products/{productId}"], ["SearchProducts", "LoadPrices"], "products"),
        .. Service("shipping", "0.9.4", Java, ["/api/shipping/quote", "/api/shipments/{shipmentId}"], ["QuoteShipping", "PickCarrier"], "shipments"),
        .. Service("recommendation", "2.2.0", Python, ["/api/recommendations"], ["RankProducts", "LoadModel"], "recommendations"),
        .. Service("email", "1.0.8", Python, ["/api/emails/confirmation"], ["RenderTemplate", "SendMail"], "emails"),
    ];

    public static IReadOnlyList<ServiceInstance> EntryInstances { get; } = [.. Instances.Take(2)];

    private static IEnumerable<ServiceInstance> Service(
        string name, string version, Language language, string[] routes, string[] operations, string table)
    {
        var scopes = new ServiceScopes(
            Http: new InstrumentationScope { Name = language.HttpScope, Version = language.HttpScopeVersion },
            Database: new InstrumentationScope { Name = language.DbScope, Version = language.DbScopeVersion },
            Application: new InstrumentationScope { Name = name, Version = version });
        for (var instance = 1; instance <= 2; instance++)
        {
            var resource = new Resource
            {
                Attributes =
                {
                    KeyValues.String("service.name", name),
                    KeyValues.String("service.namespace", "shop"),
                    KeyValues.String("service.version", version),
                    KeyValues.String("service.instance.id", $"{name}-{instance}"),
                    KeyValues.String("host.name", $"ip-10-0-{name.Length}-{(10 * instance) + name[0]}.ec2.internal"),
                    KeyValues.Int("process.pid", 1000 + (37 * name.Length) + instance),
                    KeyValues.String("deployment.environment.name", "production"),
                    KeyValues.String("telemetry.sdk.name", "opentelemetry"),
                    KeyValues.String("telemetry.sdk.language", language.Name),
                    KeyValues.String("telemetry.sdk.version", language.SdkVersion),
                },
            };
            yield return new ServiceInstance(name, resource, scopes, routes, operations, table);
        }
    }
}

/// <summary>One running instance of a service: its resource, scopes, and what its spans are named after.</summary>
internal sealed record ServiceInstance(
    string Name, Resource Resource, ServiceScopes Scopes, string[] Routes, string[] Operations, string Table);

internal sealed record ServiceScopes(InstrumentationScope Http, InstrumentationScope Database, InstrumentationScope Application);

/// <summary>Builds attribute key-values of each AnyValue type the generator writes.</summary>
internal static class KeyValues
{
    public static KeyValue String(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

    public static KeyValue Int(string key, long value) => new() { Key = key, Value = new AnyValue { IntValue = value } };

    public static KeyValue Double(string key, double value) => new() { Key = key, Value = new AnyValue { DoubleValue = value } };

    public static KeyValue Bool(string key, bool value) => new() { Key = key, Value = new AnyValue { BoolValue = value } };
}
