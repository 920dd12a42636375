using OpenTelemetry.Proto.Trace.V1;

namespace SpanRecovery.Generation;

/// <summary>
/// Collects a record's spans and groups them as exporters do: one <c>ResourceSpans</c> per resource and one
/// <c>ScopeSpans</c> per scope within it, in order of first appearance. Spans keep their order within a
/// group, so a copy is still written after its original (both share resource and scope).
/// </summary>
internal sealed class RecordBuilder
{
    private readonly List<GeneratedSpan> spans = [];

    public void Add(GeneratedSpan span) => spans.Add(span);

    /// <summary>The record of the spans added since the last call.</summary>
    public TracesData Build()
    {
        var record = new TracesData();
        foreach (var span in spans)
            ScopeSpansOf(ResourceSpansOf(record, span), span).Spans.Add(span.Span);
        spans.Clear();
        return record;
    }

    private static ResourceSpans ResourceSpansOf(TracesData record, GeneratedSpan span)
    {
        foreach (var group in record.ResourceSpans)
        {
            if (ReferenceEquals(group.Resource, span.Resource))
                return group;
        }

        var added = new ResourceSpans { Resource = span.Resource, SchemaUrl = ServiceCatalog.SchemaUrl };
        record.ResourceSpans.Add(added);
        return added;
    }

    private static ScopeSpans ScopeSpansOf(ResourceSpans resourceSpans, GeneratedSpan span)
    {
        foreach (var group in resourceSpans.ScopeSpans)
        {
            if (ReferenceEquals(group.Scope, span.Scope))
                return group;
        }

        var added = new ScopeSpans { Scope = span.Scope };
        resourceSpans.ScopeSpans.Add(added);
        return added;
    }
}
