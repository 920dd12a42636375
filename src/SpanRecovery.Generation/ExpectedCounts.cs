using System.Text;
using System.Text.Json;

namespace SpanRecovery.Generation;

/// <summary>
/// What validating a generated archive must report (docs/rules.md counting): every span written, the distinct
/// well-formed trace IDs among them, the spans with at least one error finding, and the findings per rule id
/// (only rules with a count above zero, in report order).
/// </summary>
public sealed record ExpectedCounts(long Spans, long Traces, long InvalidSpans, IReadOnlyDictionary<string, long> Rules)
{
    /// <summary><c>{ "spans", "traces", "invalidSpans", "rules": { id: count } }</c>, indented, for the CLI.</summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteNumber("spans"u8, Spans);
            json.WriteNumber("traces"u8, Traces);
            json.WriteNumber("invalidSpans"u8, InvalidSpans);
            json.WriteStartObject("rules"u8);
            foreach (var (id, count) in Rules)
                json.WriteNumber(id, count);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
    }
}
