using System.Buffers;
using SpanRecovery.Otlp;

namespace SpanRecovery.Restore;

/// <summary>Receives one request fragment and its span count; the bytes are only valid during the call.</summary>
internal delegate void FragmentHandler(ReadOnlySpan<byte> fragment, int spans);

/// <summary>
/// Cuts a serialized <c>TracesData</c> into <c>ExportTraceServiceRequest</c> fragments: each is one field-1
/// entry (tag, length, ResourceSpans), so any concatenation of fragments is a valid request body. A
/// ResourceSpans that fits is wire-copied untouched. One that is larger than the limit is split by ScopeSpans
/// and, if one ScopeSpans is still too large, by spans, repeating the ResourceSpans and ScopeSpans header
/// fields (resource, scope, schema_url, unknown fields) around every part so each part keeps its context; only
/// a single span larger than the limit makes a larger fragment. The old <c>instrumentation_library_spans</c>
/// (1000) is rewritten as <c>scope_spans</c> (2), because current receivers ignore field 1000.
/// </summary>
internal sealed class ResourceSpansSplitter(int maxFragmentBytes)
{
    private readonly ArrayBufferWriter<byte> _resourceHeader = new();
    private readonly ArrayBufferWriter<byte> _scopeHeader = new();
    private readonly ArrayBufferWriter<byte> _fragment = new();
    private readonly List<Child> _scopes = [];
    private readonly List<Child> _spans = [];

    /// <summary>The fragment size limit; lowered when a receiver refuses batches as too large.</summary>
    public int MaxFragmentBytes { get; set; } = maxFragmentBytes;

    /// <summary>A ScopeSpans or Span inside its parent's content, with the spans it holds.</summary>
    private readonly record struct Child(int Start, int Length, int Spans);

    /// <summary>Throws <see cref="MalformedInputException"/> when the framing down to the spans is broken.</summary>
    public void Split(ReadOnlySpan<byte> record, FragmentHandler onFragment)
    {
        var reader = new ProtoWireReader(record, 0);
        while (!reader.End)
        {
            var fieldStart = reader.Position;
            var (field, wireType) = reader.ReadTag();
            if (field != TracesSchema.TracesDataResourceSpans)
            {
                reader.SkipField(wireType);
                continue;
            }

            reader.Expect(wireType, WireType.LengthDelimited, field);
            var content = reader.ReadLengthDelimited();
            SplitResourceSpans(record[fieldStart..reader.Position], content, reader.Position - content.Length, onFragment);
        }
    }

    private void SplitResourceSpans(ReadOnlySpan<byte> whole, ReadOnlySpan<byte> content, int contentOffset, FragmentHandler onFragment)
    {
        _resourceHeader.ResetWrittenCount();
        _scopes.Clear();
        var hasLegacyScopes = false;
        var spans = 0;
        var reader = new ProtoWireReader(content, contentOffset);
        while (!reader.End)
        {
            var fieldStart = reader.Position;
            var (field, wireType) = reader.ReadTag();
            if (field is TracesSchema.ResourceSpansScopeSpans or TracesSchema.ResourceSpansLegacyScopeSpans)
            {
                reader.Expect(wireType, WireType.LengthDelimited, field);
                var scope = reader.ReadLengthDelimited();
                var scopeSpans = CountSpans(scope, reader.BaseOffset + reader.Position - scope.Length);
                _scopes.Add(new Child(reader.Position - scope.Length, scope.Length, scopeSpans));
                spans += scopeSpans;
                hasLegacyScopes |= field == TracesSchema.ResourceSpansLegacyScopeSpans;
            }
            else
            {
                reader.SkipField(wireType);
                _resourceHeader.Write(content[fieldStart..reader.Position]);
            }
        }

        if (!hasLegacyScopes && whole.Length <= MaxFragmentBytes)
            onFragment(whole, spans);
        else
            PackScopes(content, onFragment);
    }

    /// <summary>Greedily groups consecutive ScopeSpans into fragments that fit; splits one that never fits.</summary>
    private void PackScopes(ReadOnlySpan<byte> content, FragmentHandler onFragment)
    {
        var headerLength = _resourceHeader.WrittenCount;
        var first = 0;
        var groupContent = headerLength;
        for (var i = 0; i < _scopes.Count; i++)
        {
            var itemSize = ChildFieldSize(_scopes[i].Length);
            if (ResourceSpansFieldSize(headerLength + itemSize) > MaxFragmentBytes)
            {
                EmitScopes(content, first, i, onFragment);
                SplitScope(content.Slice(_scopes[i].Start, _scopes[i].Length), onFragment);
                first = i + 1;
                groupContent = headerLength;
            }
            else if (ResourceSpansFieldSize(groupContent + itemSize) > MaxFragmentBytes)
            {
                EmitScopes(content, first, i, onFragment);
                first = i;
                groupContent = headerLength + itemSize;
            }
            else
            {
                groupContent += itemSize;
            }
        }

        if (_scopes.Count == 0)
            EmitScopes(content, 0, 0, onFragment, emitEmpty: true);
        else
            EmitScopes(content, first, _scopes.Count, onFragment);
    }

    private void EmitScopes(ReadOnlySpan<byte> content, int from, int to, FragmentHandler onFragment, bool emitEmpty = false)
    {
        if (from == to && !emitEmpty)
            return;
        var resourceContent = _resourceHeader.WrittenCount;
        var spans = 0;
        for (var i = from; i < to; i++)
        {
            resourceContent += ChildFieldSize(_scopes[i].Length);
            spans += _scopes[i].Spans;
        }

        _fragment.ResetWrittenCount();
        ProtoWireWriter.WriteLengthDelimitedHeader(_fragment, TracesSchema.TracesDataResourceSpans, resourceContent);
        _fragment.Write(_resourceHeader.WrittenSpan);
        for (var i = from; i < to; i++)
            ProtoWireWriter.WriteLengthDelimited(_fragment, TracesSchema.ResourceSpansScopeSpans, content.Slice(_scopes[i].Start, _scopes[i].Length));
        onFragment(_fragment.WrittenSpan, spans);
    }

    /// <summary>Splits one ScopeSpans by spans, each part wrapped in the resource and scope headers.</summary>
    private void SplitScope(ReadOnlySpan<byte> scope, FragmentHandler onFragment)
    {
        _scopeHeader.ResetWrittenCount();
        _spans.Clear();
        var reader = new ProtoWireReader(scope, 0);
        while (!reader.End)
        {
            var fieldStart = reader.Position;
            var (field, wireType) = reader.ReadTag();
            if (field == TracesSchema.ScopeSpansSpans)
            {
                var span = reader.ReadLengthDelimited();
                _spans.Add(new Child(reader.Position - span.Length, span.Length, 1));
            }
            else
            {
                reader.SkipField(wireType);
                _scopeHeader.Write(scope[fieldStart..reader.Position]);
            }
        }

        var first = 0;
        var spansSize = 0;
        for (var i = 0; i < _spans.Count; i++)
        {
            var itemSize = ChildFieldSize(_spans[i].Length);
            if (i > first && ScopeFragmentSize(spansSize + itemSize) > MaxFragmentBytes)
            {
                EmitSpans(scope, first, i, spansSize, onFragment);
                first = i;
                spansSize = 0;
            }

            spansSize += itemSize;
        }

        EmitSpans(scope, first, _spans.Count, spansSize, onFragment);
    }

    private int ScopeFragmentSize(int spansSize) =>
        ResourceSpansFieldSize(_resourceHeader.WrittenCount + ChildFieldSize(_scopeHeader.WrittenCount + spansSize));

    private void EmitSpans(ReadOnlySpan<byte> scope, int from, int to, int spansSize, FragmentHandler onFragment)
    {
        var scopeContent = _scopeHeader.WrittenCount + spansSize;
        _fragment.ResetWrittenCount();
        ProtoWireWriter.WriteLengthDelimitedHeader(_fragment, TracesSchema.TracesDataResourceSpans, _resourceHeader.WrittenCount + ChildFieldSize(scopeContent));
        _fragment.Write(_resourceHeader.WrittenSpan);
        ProtoWireWriter.WriteLengthDelimitedHeader(_fragment, TracesSchema.ResourceSpansScopeSpans, scopeContent);
        _fragment.Write(_scopeHeader.WrittenSpan);
        for (var i = from; i < to; i++)
            ProtoWireWriter.WriteLengthDelimited(_fragment, TracesSchema.ScopeSpansSpans, scope.Slice(_spans[i].Start, _spans[i].Length));
        onFragment(_fragment.WrittenSpan, to - from);
    }

    private static int CountSpans(ReadOnlySpan<byte> scope, int offset)
    {
        var spans = 0;
        var reader = new ProtoWireReader(scope, offset);
        while (!reader.End)
        {
            var (field, wireType) = reader.ReadTag();
            if (field == TracesSchema.ScopeSpansSpans)
            {
                reader.Expect(wireType, WireType.LengthDelimited, field);
                reader.ReadLengthDelimited();
                spans++;
            }
            else
            {
                reader.SkipField(wireType);
            }
        }

        return spans;
    }

    private static int ResourceSpansFieldSize(int length) => ProtoWireWriter.LengthDelimitedSize(TracesSchema.TracesDataResourceSpans, length);

    /// <summary>The size of a ResourceSpans.scope_spans or ScopeSpans.spans field: both are field 2.</summary>
    private static int ChildFieldSize(int length) => ProtoWireWriter.LengthDelimitedSize(TracesSchema.ScopeSpansSpans, length);
}
