using System.Text.Json;

namespace SpanRecovery.Validation;

/// <summary>
/// One trace with findings, as <c>--traces-out</c> writes it (docs/report-json.md): its ID (hex), its entered
/// spans and roots, and its findings — on its spans, on spans of it that entered no table, and on the trace.
/// </summary>
/// <param name="Rules">Findings per rule id.</param>
public sealed record TraceFindings(string TraceId, long Spans, long Roots, long Errors, long Warnings, IReadOnlyDictionary<string, long> Rules)
{
    internal static TraceFindings From(UInt128 traceId, long spans, long roots, SortedDictionary<Rule, long> counts)
    {
        Span<byte> bytes = stackalloc byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt128BigEndian(bytes, traceId);
        return new TraceFindings(Convert.ToHexStringLower(bytes), spans, roots,
            counts.Where(c => c.Key.Severity() == Severity.Error).Sum(c => c.Value),
            counts.Where(c => c.Key.Severity() == Severity.Warning).Sum(c => c.Value),
            counts.ToDictionary(c => c.Key.Id(), c => c.Value));
    }
}

/// <summary>
/// Writes <see cref="TraceFindings"/> as JSON lines to a stream the caller owns; safe to call from the
/// threads that check partitions side by side.
/// </summary>
internal sealed class TraceLinesWriter(Stream output)
{
    private readonly Lock _lock = new();

    public void Write(TraceFindings trace)
    {
        lock (_lock)
        {
            using (var json = new Utf8JsonWriter(output))
            {
                json.WriteStartObject();
                json.WriteString("traceId", trace.TraceId);
                json.WriteNumber("spans", trace.Spans);
                json.WriteNumber("roots", trace.Roots);
                json.WriteNumber("errors", trace.Errors);
                json.WriteNumber("warnings", trace.Warnings);
                json.WriteStartObject("rules");
                foreach (var (rule, count) in trace.Rules)
                    json.WriteNumber(rule, count);
                json.WriteEndObject();
                json.WriteEndObject();
            }

            output.WriteByte((byte)'\n');
        }
    }
}
