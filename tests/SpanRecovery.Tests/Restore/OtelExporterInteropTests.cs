using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Google.Protobuf;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using SpanRecovery.Repository;
using SpanRecovery.Restore;
using SpanRecovery.Tests.OtlpReading;
using OtlpSpan = OpenTelemetry.Proto.Trace.V1.Span;

namespace SpanRecovery.Tests.Restore;

/// <summary>
/// Interop with the real OpenTelemetry .NET SDK and its OTLP/HTTP exporter: the SDK exports to a local
/// receiver whose request bodies are archived as the collector's file exporter does (4-byte big-endian
/// length + body); that archive is backed up and restored to a directory (byte for byte) and, over
/// OTLP/HTTP, to a second receiver, which must get every span the SDK exported, unchanged.
/// </summary>
public sealed class OtelExporterInteropTests : IDisposable
{
    private const int Traces = 40;
    private const int ChildrenPerRoot = 4;
    private const int GrandchildrenPerChild = 3;
    private const int SpansPerTrace = 1 + ChildrenPerRoot * (1 + GrandchildrenPerChild);

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Spans_exported_by_the_OpenTelemetry_SDK_survive_backup_and_restore_to_a_directory_and_over_OTLP_HTTP()
    {
        var source = Path.Combine(_dir.Path, "source");
        Directory.CreateDirectory(source);
        var archive = Path.Combine(source, "traces.binpb");

        // 1. The real SDK exports over OTLP/HTTP protobuf to a receiver; its request bodies become the archive,
        //    one length-prefixed record each, as the collector's file exporter writes them.
        var ended = new ConcurrentQueue<Activity>();
        int requests;
        await using (var collector = new OtlpTestReceiver())
        {
            var sourceName = $"SpanRecovery.Tests.Interop.{Guid.NewGuid():N}";
            using (var provider = Sdk.CreateTracerProviderBuilder()
                .AddSource(sourceName)
                .SetResourceBuilder(ResourceBuilder.CreateEmpty().AddService("interop-checkout", serviceVersion: "1.2.3").AddAttributes([new("deployment.environment.name", "test")]))
                .SetSampler(new AlwaysOnSampler())
                .AddProcessor(new RecordingProcessor(ended))
                .AddOtlpExporter(o =>
                {
                    o.Endpoint = new Uri(collector.Endpoint, "/v1/traces");
                    o.Protocol = OtlpExportProtocol.HttpProtobuf;
                    o.ExportProcessorType = ExportProcessorType.Batch;
                    o.BatchExportProcessorOptions.MaxExportBatchSize = 100;
                    o.BatchExportProcessorOptions.MaxQueueSize = 4096;
                })
                .Build())
            {
                using (var activities = new ActivitySource(sourceName, "4.5.6"))
                    CreateTraces(activities);
                Assert.True(provider.ForceFlush(10_000), "the SDK did not flush within 10 s");
            }

            requests = collector.Requests;
            File.WriteAllBytes(archive, TestInputs.LengthPrefixed([.. collector.Delivered.Select(d => d.Body)]));
        }

        Assert.Equal(Traces * SpansPerTrace, ended.Count);
        var exported = ReadArchive(archive);
        Assert.True(exported.Count >= requests && requests > 1, $"{requests} export requests, {exported.Count} records");
        var exportedSpans = SpansOf(exported);
        Assert.Equal(ended.Count, exportedSpans.Count);
        var byId = exportedSpans.ToDictionary(s => Key(s.Span), StringComparer.Ordinal);
        Assert.Equal(exportedSpans.Count, byId.Count);
        foreach (var activity in ended)
        {
            var span = byId[activity.TraceId.ToHexString() + "/" + activity.SpanId.ToHexString()].Span;
            Assert.Equal(activity.DisplayName, span.Name);
            Assert.Equal(activity.ParentSpanId == default ? "" : activity.ParentSpanId.ToHexString(), Convert.ToHexStringLower(span.ParentSpanId.Span));
            Assert.Equal(Tags(activity), Attributes(span.Attributes));
            Assert.Equal(activity.Events.Count(), span.Events.Count);
        }

        // 2. Back it up.
        var repository = BackupRepository.Init(Path.Combine(_dir.Path, "repo"), BackupStrategy.ThreeTwoOne);
        var backup = await new BackupManager(repository).CreateBackupAsync(source, BackupType.Full);
        Assert.Equal(exportedSpans.Count, backup.Manifest.Totals.Spans);
        Assert.Equal(0, backup.Manifest.Validation.Errors);
        var manager = new RecoveryManager(repository);

        // 3a. Restore to a directory: the archive comes back byte for byte.
        var restored = Path.Combine(_dir.Path, "restored");
        var toDirectory = await manager.RestoreFromBackupAsync(backup.Manifest.Name, restored);
        Assert.True(toDirectory.Verified);
        Assert.Equal(exportedSpans.Count, toDirectory.Spans);
        Assert.Equal(Files(source).Keys, Files(restored).Keys);
        foreach (var (path, bytes) in Files(source))
            Assert.True(bytes.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(restored, path))), $"{path} differs after the restore");

        // 3b. Restore over OTLP/HTTP: the backend gets every exported span, unchanged, under its resource and scope.
        await using var backend = new OtlpTestReceiver();
        var options = new RestoreOptions(Http: new OtlpHttpOptions(MaxBatchBytes: 32 * 1024, MaxConcurrency: 2, MaxAttempts: 3,
            InitialBackoff: TimeSpan.FromMilliseconds(10), MaxBackoff: TimeSpan.FromMilliseconds(50), RequestTimeout: TimeSpan.FromSeconds(10)));
        var toBackend = await manager.RestoreFromBackupAsync(backup.Manifest.Name, backend.Endpoint.AbsoluteUri, options);

        Assert.True(toBackend.Verified);
        Assert.Equal(exportedSpans.Count, toBackend.Spans);
        Assert.NotNull(toBackend.Delivery);
        Assert.True(toBackend.Delivery.Complete, string.Join("; ", toBackend.Delivery.Failures));
        Assert.True(backend.Delivered.Count > 1, $"{backend.Delivered.Count} requests: the batch limit should split the restore");
        var received = SpansOf([.. backend.Delivered.Select(d => d.Request)]);
        Assert.Equal(byId.Keys.Order(StringComparer.Ordinal), received.Select(s => Key(s.Span)).Distinct().Order(StringComparer.Ordinal));
        foreach (var (span, resource, scope) in received)
        {
            var original = byId[Key(span)];
            Assert.Equal(original.Span, span); // ids, parent, name, kind, times, attributes, events, status
            Assert.Equal(original.Resource, resource);
            Assert.Equal(original.Scope, scope);
        }
    }

    /// <summary>Nested traces: a server root, client children with attributes and events, internal grandchildren.</summary>
    private static void CreateTraces(ActivitySource activities)
    {
        for (var t = 0; t < Traces; t++)
        {
            using var root = activities.StartActivity($"GET /api/orders/{t}", ActivityKind.Server)!;
            root.SetTag("http.request.method", "GET");
            root.SetTag("http.response.status_code", 200);
            root.SetTag("url.path", $"/api/orders/{t}");
            for (var c = 0; c < ChildrenPerRoot; c++)
            {
                using var child = activities.StartActivity($"SELECT orders {c}", ActivityKind.Client)!;
                child.SetTag("db.system", "postgresql");
                child.SetTag("db.rows", (long)(t * 10 + c));
                child.SetTag("cache.hit", c % 2 == 0);
                child.AddEvent(new ActivityEvent("query.sent", tags: new ActivityTagsCollection { ["db.statement.length"] = 42 + c }));
                for (var g = 0; g < GrandchildrenPerChild; g++)
                {
                    using var grandchild = activities.StartActivity($"decode row {g}")!;
                    grandchild.SetTag("row.index", g);
                    if (g == 1)
                        grandchild.SetStatus(ActivityStatusCode.Error, "row rejected");
                }
            }
        }
    }

    private static List<ExportTraceServiceRequest> ReadArchive(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var records = new List<ExportTraceServiceRequest>();
        for (var offset = 0; offset < bytes.Length;)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(offset, 4));
            records.Add(ExportTraceServiceRequest.Parser.ParseFrom(bytes, offset + 4, length));
            offset += 4 + length;
        }

        return records;
    }

    private static List<(OtlpSpan Span, OpenTelemetry.Proto.Resource.V1.Resource Resource, InstrumentationScope Scope)> SpansOf(IEnumerable<ExportTraceServiceRequest> requests) =>
        [.. from request in requests
            from resourceSpans in request.ResourceSpans
            from scopeSpans in resourceSpans.ScopeSpans
            from span in scopeSpans.Spans
            select (span, resourceSpans.Resource, scopeSpans.Scope)];

    private static string Key(OtlpSpan span) => Convert.ToHexStringLower(span.TraceId.Span) + "/" + Convert.ToHexStringLower(span.SpanId.Span);

    private static SortedDictionary<string, string> Tags(Activity activity)
    {
        var tags = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in activity.TagObjects)
        {
            tags[key] = value switch
            {
                bool b => b ? "true" : "false",
                IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                _ => value?.ToString() ?? "",
            };
        }

        return tags;
    }

    private static SortedDictionary<string, string> Attributes(IEnumerable<KeyValue> attributes)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var attribute in attributes)
        {
            result[attribute.Key] = attribute.Value.ValueCase switch
            {
                AnyValue.ValueOneofCase.StringValue => attribute.Value.StringValue,
                AnyValue.ValueOneofCase.IntValue => attribute.Value.IntValue.ToString(CultureInfo.InvariantCulture),
                AnyValue.ValueOneofCase.BoolValue => attribute.Value.BoolValue ? "true" : "false",
                AnyValue.ValueOneofCase.DoubleValue => attribute.Value.DoubleValue.ToString(CultureInfo.InvariantCulture),
                _ => attribute.Value.ToString(),
            };
        }

        return result;
    }

    private static SortedDictionary<string, byte[]> Files(string directory) =>
        new(Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(directory, f).Replace('\\', '/'), File.ReadAllBytes, StringComparer.Ordinal), StringComparer.Ordinal);

    /// <summary>Keeps the SDK's finished activities, the ground truth of what was exported.</summary>
    private sealed class RecordingProcessor(ConcurrentQueue<Activity> ended) : BaseProcessor<Activity>
    {
        public override void OnEnd(Activity data) => ended.Enqueue(data);
    }
}
