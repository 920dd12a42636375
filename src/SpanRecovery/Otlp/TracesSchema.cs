namespace SpanRecovery.Otlp;

/// <summary>
/// The OTLP traces schema (opentelemetry/proto/trace/v1/trace.proto and common/v1/common.proto) as the
/// hand-written readers and writers need it: protobuf field numbers and OTLP/JSON property names. Everything
/// that walks or writes OTLP without Google.Protobuf's generated classes names its fields from here.
/// </summary>
internal static class TracesSchema
{
    // Protobuf field numbers, named Message + Field. A TracesData and an ExportTraceServiceRequest have the
    // same wire form, so the TracesData numbers serve both.

    public const int TracesDataResourceSpans = 1;

    public const int ResourceSpansScopeSpans = 2;

    /// <summary>The old <c>instrumentation_library_spans</c>: ScopeSpans under their earlier name.</summary>
    public const int ResourceSpansLegacyScopeSpans = 1000;

    public const int ScopeSpansSpans = 2;

    public const int SpanTraceId = 1;
    public const int SpanSpanId = 2;
    public const int SpanTraceState = 3;
    public const int SpanParentSpanId = 4;
    public const int SpanName = 5;
    public const int SpanKind = 6;
    public const int SpanStartTimeUnixNano = 7;
    public const int SpanEndTimeUnixNano = 8;
    public const int SpanAttributes = 9;
    public const int SpanDroppedAttributesCount = 10;
    public const int SpanEvents = 11;
    public const int SpanDroppedEventsCount = 12;
    public const int SpanLinks = 13;
    public const int SpanDroppedLinksCount = 14;
    public const int SpanStatus = 15;
    public const int SpanFlags = 16;

    /// <summary>Span.Event.time_unix_nano (fixed64).</summary>
    public const int EventTimeUnixNano = 1;

    // OTLP/JSON property names: lowerCamelCase (…Json). Proto3 JSON readers also accept a field's proto name,
    // so where that differs it is here too (…ProtoName). Names shared by several messages appear once.

    public static ReadOnlySpan<byte> ResourceSpansJson => "resourceSpans"u8;
    public static ReadOnlySpan<byte> ResourceSpansProtoName => "resource_spans"u8;

    public static ReadOnlySpan<byte> ResourceJson => "resource"u8;
    public static ReadOnlySpan<byte> ScopeSpansJson => "scopeSpans"u8;
    public static ReadOnlySpan<byte> ScopeSpansProtoName => "scope_spans"u8;
    public static ReadOnlySpan<byte> LegacyScopeSpansJson => "instrumentationLibrarySpans"u8;
    public static ReadOnlySpan<byte> LegacyScopeSpansProtoName => "instrumentation_library_spans"u8;
    public static ReadOnlySpan<byte> SchemaUrlJson => "schemaUrl"u8;

    public static ReadOnlySpan<byte> ScopeJson => "scope"u8;

    /// <summary>The old ScopeSpans field <c>instrumentation_library</c>: the scope under its earlier name.</summary>
    public static ReadOnlySpan<byte> LegacyScopeJson => "instrumentationLibrary"u8;
    public static ReadOnlySpan<byte> LegacyScopeProtoName => "instrumentation_library"u8;
    public static ReadOnlySpan<byte> SpansJson => "spans"u8;

    /// <summary>InstrumentationScope.version.</summary>
    public static ReadOnlySpan<byte> VersionJson => "version"u8;

    public static ReadOnlySpan<byte> TraceIdJson => "traceId"u8;
    public static ReadOnlySpan<byte> TraceIdProtoName => "trace_id"u8;
    public static ReadOnlySpan<byte> SpanIdJson => "spanId"u8;
    public static ReadOnlySpan<byte> SpanIdProtoName => "span_id"u8;
    public static ReadOnlySpan<byte> ParentSpanIdJson => "parentSpanId"u8;
    public static ReadOnlySpan<byte> ParentSpanIdProtoName => "parent_span_id"u8;
    public static ReadOnlySpan<byte> NameJson => "name"u8;
    public static ReadOnlySpan<byte> KindJson => "kind"u8;
    public static ReadOnlySpan<byte> StartTimeUnixNanoJson => "startTimeUnixNano"u8;
    public static ReadOnlySpan<byte> StartTimeUnixNanoProtoName => "start_time_unix_nano"u8;
    public static ReadOnlySpan<byte> EndTimeUnixNanoJson => "endTimeUnixNano"u8;
    public static ReadOnlySpan<byte> EndTimeUnixNanoProtoName => "end_time_unix_nano"u8;
    public static ReadOnlySpan<byte> AttributesJson => "attributes"u8;
    public static ReadOnlySpan<byte> EventsJson => "events"u8;
    public static ReadOnlySpan<byte> LinksJson => "links"u8;
    public static ReadOnlySpan<byte> StatusJson => "status"u8;

    /// <summary>Span.Event.time_unix_nano.</summary>
    public static ReadOnlySpan<byte> TimeUnixNanoJson => "timeUnixNano"u8;
    public static ReadOnlySpan<byte> TimeUnixNanoProtoName => "time_unix_nano"u8;

    /// <summary>Status.code and Status.message.</summary>
    public static ReadOnlySpan<byte> CodeJson => "code"u8;
    public static ReadOnlySpan<byte> MessageJson => "message"u8;

    /// <summary>KeyValue.key and KeyValue.value.</summary>
    public static ReadOnlySpan<byte> KeyJson => "key"u8;
    public static ReadOnlySpan<byte> ValueJson => "value"u8;

    public static ReadOnlySpan<byte> StringValueJson => "stringValue"u8;
    public static ReadOnlySpan<byte> BoolValueJson => "boolValue"u8;
    public static ReadOnlySpan<byte> IntValueJson => "intValue"u8;
    public static ReadOnlySpan<byte> IntValueProtoName => "int_value"u8;
    public static ReadOnlySpan<byte> DoubleValueJson => "doubleValue"u8;
    public static ReadOnlySpan<byte> ArrayValueJson => "arrayValue"u8;
    public static ReadOnlySpan<byte> ArrayValueProtoName => "array_value"u8;
    public static ReadOnlySpan<byte> KvlistValueJson => "kvlistValue"u8;
    public static ReadOnlySpan<byte> KvlistValueProtoName => "kvlist_value"u8;

    /// <summary>ArrayValue.values and KeyValueList.values.</summary>
    public static ReadOnlySpan<byte> ValuesJson => "values"u8;
}
