using System.Buffers.Binary;
using Google.Protobuf;
using OpenTelemetry.Proto.Trace.V1;

namespace SpanRecovery.Generation;

/// <summary>
/// Builds whole traces: a tree of 1..30 spans (or as many as asked) rooted at an HTTP request to the frontend, with children
/// calling other services, databases and queues, each child's time inside its parent's. Traces start a
/// few milliseconds apart from March 2026 on; no span lasts longer than 10 s or the maximum duration.
/// </summary>
internal sealed class TraceFactory(Random random, TimeSpan maxDuration)
{
    public static readonly ulong BaseTimeUnixNano = UnixNanos(new DateTime(2026, 3, 2, 9, 0, 0, DateTimeKind.Utc));

    private const int MaxTraceSpans = 30;
    private const double ShortRequestNanos = 1e6; // 1 ms
    private const double LongRequestNanos = 1e10; // 10 s

    private readonly SpanContent content = new(random);
    private readonly double maxDurationNanos = maxDuration.Ticks * 100.0;
    private ulong tracesCreated;
    private ulong nextTraceStart = BaseTimeUnixNano;

    private struct Node
    {
        public Span Span;
        public SpanShape Shape;
        public ServiceInstance Instance;
        public ServiceInstance? Peer;
        public bool HasChildren;
    }

    public static ulong UnixNanos(DateTime utc) => (ulong)(utc - DateTime.UnixEpoch).Ticks * 100;

    /// <summary>Mostly small traces and a few large ones, as in real traffic: 1..30 spans, about 10.7 on average.</summary>
    public int NextTraceSize() => 1 + (int)((MaxTraceSpans - 1) * Math.Pow(random.NextDouble(), 2));

    public GeneratedTrace CreateTrace(int spanCount)
    {
        var traceId = NewTraceId();
        var nodes = new Node[spanCount];
        var spanIds = new HashSet<ByteString>(spanCount);
        var start = NextTraceStart();
        // Log-uniform request durations; children stay inside their parent, so no span exceeds the maximum.
        var rootNanos = Math.Min(Math.Exp(Lerp(Math.Log(ShortRequestNanos), Math.Log(LongRequestNanos))), maxDurationNanos);
        nodes[0] = new Node
        {
            Span = NewSpan(traceId, ByteString.Empty, spanIds, start, start + (ulong)rootNanos),
            Shape = SpanShape.HttpServer,
            Instance = ServiceCatalog.EntryInstances[random.Next(ServiceCatalog.EntryInstances.Count)],
        };
        for (var i = 1; i < spanCount; i++)
        {
            ref var parent = ref nodes[PickParent(nodes.AsSpan(0, i))];
            var (shape, instance, peer) = ChildOf(parent);
            var parentSpan = parent.Span;
            var childStart = parentSpan.StartTimeUnixNano + (ulong)(random.NextDouble() * 0.5 * (parentSpan.EndTimeUnixNano - parentSpan.StartTimeUnixNano));
            var childEnd = childStart + (ulong)(random.NextDouble() * (parentSpan.EndTimeUnixNano - childStart));
            nodes[i] = new Node
            {
                Span = NewSpan(traceId, parentSpan.SpanId, spanIds, childStart, childEnd),
                Shape = shape,
                Instance = instance,
                Peer = peer,
            };
            parent.HasChildren = true;
        }

        foreach (var node in nodes)
            content.Fill(node.Span, node.Shape, node.Instance, node.Peer);
        var inWriteOrder = nodes.OrderBy(node => node.Span.EndTimeUnixNano).Select(Generated).ToList();
        return new GeneratedTrace(inWriteOrder, [.. nodes.Where(node => !node.HasChildren).Select(node => node.Span)]);
    }

    /// <summary>A separate trace of <paramref name="length"/> internal spans whose parents form one cycle and no root.</summary>
    public GeneratedTrace CreateCycle(int length)
    {
        var traceId = NewTraceId();
        var start = NextTraceStart();
        var nodes = new Node[length];
        var spanIds = new HashSet<ByteString>(length);
        var instance = ServiceCatalog.Instances[random.Next(ServiceCatalog.Instances.Count)];
        // One start and end for all: each member is the parent of another, so any difference would be clock skew too.
        var end = start + (ulong)random.Next(1_000_000, 50_000_000);
        for (var i = 0; i < length; i++)
        {
            nodes[i] = new Node
            {
                Span = NewSpan(traceId, ByteString.Empty, spanIds, start, end),
                Shape = SpanShape.Internal,
                Instance = instance,
            };
            content.Fill(nodes[i].Span, SpanShape.Internal, instance, null);
        }

        for (var i = 0; i < length; i++)
            nodes[i].Span.ParentSpanId = nodes[(i + 1) % length].Span.SpanId;
        return new GeneratedTrace([.. nodes.Select(Generated)], []);
    }

    /// <summary>A non-zero span id that no span of <paramref name="trace"/> has.</summary>
    public ByteString NewSpanId(GeneratedTrace trace)
    {
        while (true)
        {
            var id = RandomId(8);
            if (!trace.HasSpanId(id))
                return id;
        }
    }

    public ByteString RandomBytes(int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return ByteString.CopyFrom(bytes);
    }

    private static GeneratedSpan Generated(Node node) =>
        new(node.Span, node.Instance.Resource, SpanContent.ScopeOf(node.Shape, node.Instance));

    private ulong NextTraceStart()
    {
        var start = nextTraceStart;
        nextTraceStart += (ulong)random.Next(0, 2_000_000);
        return start;
    }

    private double Lerp(double from, double to) => from + (random.NextDouble() * (to - from));

    /// <summary>
    /// Random high half; the low half is a bijective mix of a counter, so trace IDs never repeat and are
    /// never zero, and the trace count is exact by construction.
    /// </summary>
    private ByteString NewTraceId()
    {
        Span<byte> id = stackalloc byte[16];
        random.NextBytes(id[..8]);
        BinaryPrimitives.WriteUInt64BigEndian(id[8..], Mix(++tracesCreated));
        return ByteString.CopyFrom(id);
    }

    /// <summary>The splitmix64 finalizer: a bijection on 64-bit values that maps only 0 to 0.</summary>
    private static ulong Mix(ulong value)
    {
        value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9;
        value = (value ^ (value >> 27)) * 0x94D049BB133111EB;
        return value ^ (value >> 31);
    }

    /// <summary>A span with an ID not in <paramref name="taken"/> (the trace's IDs so far), which then holds it too.</summary>
    private Span NewSpan(ByteString traceId, ByteString parentId, HashSet<ByteString> taken, ulong start, ulong end)
    {
        ByteString spanId;
        do
            spanId = RandomId(8);
        while (!taken.Add(spanId));
        return new Span { TraceId = traceId, SpanId = spanId, ParentSpanId = parentId, StartTimeUnixNano = start, EndTimeUnixNano = end };
    }

    /// <summary>Random bytes, never all zero.</summary>
    private ByteString RandomId(int length)
    {
        Span<byte> id = stackalloc byte[length];
        do
            random.NextBytes(id);
        while (!id.ContainsAnyExcept((byte)0));
        return ByteString.CopyFrom(id);
    }

    /// <summary>A random earlier span that can have one more child; the root always can.</summary>
    private int PickParent(ReadOnlySpan<Node> earlier)
    {
        for (var attempt = 0; attempt < 4; attempt++)
        {
            var index = random.Next(earlier.Length);
            var node = earlier[index];
            var canHaveChild = node.Shape switch
            {
                SpanShape.Database => false,
                SpanShape.HttpClient or SpanShape.Producer => !node.HasChildren, // one callee per call
                _ => true,
            };
            if (canHaveChild)
                return index;
        }

        return 0;
    }

    /// <summary>A call's child is the callee's server or consumer span; other children stay in their service.</summary>
    private (SpanShape Shape, ServiceInstance Instance, ServiceInstance? Peer) ChildOf(in Node parent)
    {
        switch (parent.Shape)
        {
            case SpanShape.HttpClient:
                return (SpanShape.HttpServer, parent.Peer!, null);
            case SpanShape.Producer:
                return (SpanShape.Consumer, parent.Peer!, null);
        }

        var draw = random.NextDouble();
        return draw switch
        {
            < 0.35 => (SpanShape.HttpClient, parent.Instance, Callee(parent.Instance)),
            < 0.60 => (SpanShape.Database, parent.Instance, null),
            < 0.90 => (SpanShape.Internal, parent.Instance, null),
            _ => (SpanShape.Producer, parent.Instance, Callee(parent.Instance)),
        };
    }

    /// <summary>An instance of another backend service (the frontend is never called back).</summary>
    private ServiceInstance Callee(ServiceInstance caller)
    {
        var entries = ServiceCatalog.EntryInstances.Count;
        while (true)
        {
            var callee = ServiceCatalog.Instances[entries + random.Next(ServiceCatalog.Instances.Count - entries)];
            if (callee.Name != caller.Name)
                return callee;
        }
    }
}
