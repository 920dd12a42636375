using System.Security.Cryptography;
using Google.Protobuf;
using OpenTelemetry.Proto.Trace.V1;
using SpanRecovery.Otlp;
using SpanRecovery.Restore;
using SpanRecovery.Tests.Validation;
using SpanRecovery.Validation;

namespace SpanRecovery.Tests.Repair;

/// <summary>A quarantined span: who it is, the rules it carries, and its protobuf bytes without the rules attribute.</summary>
internal sealed record QuarantinedSpan(string Identity, string Rules, string Content);

/// <summary>What the repair tests read back: spans as the rule oracle takes them, the quarantine, file hashes.</summary>
internal static class RepairedArchive
{
    public const string RulesAttribute = "spanrecovery.rules";

    /// <summary>Every span of the files in reading order, for <see cref="NaiveValidator"/>.</summary>
    public static async Task<List<TestSpan>> ReadSpansAsync(IEnumerable<string> files)
    {
        var sink = new TestSpanSink();
        foreach (var file in files)
            await TraceFileReader.ReadFileAsync(file, sink, new ReaderOptions());
        Assert.Empty(sink.Problems);
        return sink.Spans;
    }

    /// <summary>The rules a repair removes a span for, by the oracle: errors, and identical repeats unless kept.</summary>
    public static List<string> RemovalRules(IReadOnlyList<TestSpan> spans, bool keepIdentical = false) =>
    [
        .. NaiveValidator.Validate(spans).FindingsPerSpan.Select(rules => string.Join(",", rules
            .Where(r => (NaiveValidator.IsError(r) && !r.IsInputRule()) || (r == Rule.DuplicateSpanIdentical && !keepIdentical))
            .Select(r => r.Id()).Order(StringComparer.Ordinal))),
    ];

    public static string Identity(string traceId, string spanId, string parentSpanId, ulong start, ulong end) =>
        $"{traceId}/{spanId}/{parentSpanId}/{start}/{end}";

    /// <summary>Every span of quarantine.jsonl, read back as OTLP/JSON by the restore's converter.</summary>
    public static List<QuarantinedSpan> ReadQuarantine(string file) =>
    [
        .. from line in File.ReadAllLines(file)
           from resource in TracesData.Parser.ParseFrom(OtlpJsonToProtobuf.Convert(System.Text.Encoding.UTF8.GetBytes(line))).ResourceSpans
           from scope in resource.ScopeSpans
           from span in scope.Spans
           select Quarantined(span),
    ];

    private static QuarantinedSpan Quarantined(Span span)
    {
        var attribute = span.Attributes.Single(a => a.Key == RulesAttribute);
        var rules = string.Join(",", attribute.Value.ArrayValue.Values.Select(v => v.StringValue).Order(StringComparer.Ordinal));
        span.Attributes.Remove(attribute);
        return new QuarantinedSpan(
            Identity(Hex(span.TraceId.Span), Hex(span.SpanId.Span), Hex(span.ParentSpanId.Span), span.StartTimeUnixNano, span.EndTimeUnixNano),
            rules, span.ToByteString().ToBase64());
    }

    public static Dictionary<string, string> Sha256s(string directory) =>
        Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
            .ToDictionary(f => f, f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))), StringComparer.Ordinal);

    public static List<string> Files(string directory) =>
        [.. Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)];

    private static string Hex(ReadOnlySpan<byte> id) => Convert.ToHexStringLower(id);

    private sealed class TestSpanSink : ISpanSink
    {
        public List<TestSpan> Spans { get; } = [];

        public List<InputProblem> Problems { get; } = [];

        // The kind decides whether a repeated key is a conflicting duplicate (removed) or a shared CLIENT/SERVER
        // span (kept); events and links only feed warnings, which repair never removes for.
        public void OnSpan(in SpanView span) => Spans.Add(new TestSpan(span.TraceId.ToArray(), span.SpanId.ToArray(),
            span.ParentSpanId.ToArray(), span.StartTimeUnixNano, span.EndTimeUnixNano, span.ContentHash, span.EncodingProblems, span.Kind));

        public void OnInputProblem(InputProblem problem) => Problems.Add(problem);
    }
}
