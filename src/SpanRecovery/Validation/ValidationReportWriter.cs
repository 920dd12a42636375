using System.Globalization;
using System.Text;
using System.Text.Json;

namespace SpanRecovery.Validation;

/// <summary>Renders a <see cref="ValidationReport"/> as the stable JSON of docs/report-json.md or a short text summary.</summary>
public static class ValidationReportWriter
{
    /// <summary>The library's version, as reports name it.</summary>
    public static string Version { get; } =
        typeof(ValidationReportWriter).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    private const int TextExamplesPerRule = 2;

    /// <summary>Writes the report JSON (UTF-8, indented) to <paramref name="output"/>.</summary>
    public static void WriteJson(ValidationReport report, Stream output)
    {
        using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteNumber("reportVersion", 1);
        json.WriteString("tool", "spanrecovery");
        json.WriteString("version", Version);

        json.WriteStartArray("inputs");
        foreach (var input in report.Inputs)
        {
            json.WriteStartObject();
            json.WriteString("path", input.Path);
            json.WriteString("format", input.Format);
            json.WriteString("compression", input.Compression);
            json.WriteNumber("bytes", input.Bytes);
            json.WriteNumber("spans", input.Spans);
            if (input.Error is not null)
                json.WriteString("error", input.Error);
            json.WriteEndObject();
        }

        json.WriteEndArray();

        var totals = report.Totals;
        json.WriteStartObject("totals");
        json.WriteNumber("spans", totals.Spans);
        json.WriteNumber("traces", totals.Traces);
        json.WriteNumber("validSpans", totals.ValidSpans);
        json.WriteNumber("invalidSpans", totals.InvalidSpans);
        json.WriteNumber("errors", totals.Errors);
        json.WriteNumber("warnings", totals.Warnings);
        json.WriteNumber("tracesWithFindings", totals.TracesWithFindings);
        json.WriteEndObject();

        json.WriteStartObject("rules");
        foreach (var (rule, count) in report.RuleCounts.OrderBy(r => r.Key))
        {
            json.WriteStartObject(rule.Id());
            json.WriteString("severity", SeverityName(rule.Severity()));
            json.WriteNumber("count", count);
            json.WriteEndObject();
        }

        json.WriteEndObject();

        json.WriteStartArray("examples");
        foreach (var example in report.Examples)
        {
            json.WriteStartObject();
            json.WriteString("rule", example.Rule.Id());
            json.WriteString("severity", SeverityName(example.Severity));
            json.WriteString("path", example.Path);
            json.WriteNumber("offset", example.Offset);
            json.WriteString("traceId", example.TraceId);
            json.WriteString("spanId", example.SpanId);
            json.WriteString("message", example.Message);
            json.WriteEndObject();
        }

        json.WriteEndArray();

        var seconds = report.Elapsed.TotalSeconds;
        json.WriteNumber("elapsedSeconds", Math.Round(seconds, 3));
        json.WriteStartObject("throughput");
        json.WriteNumber("spansPerSecond", seconds > 0 ? Math.Round(totals.Spans / seconds) : 0);
        json.WriteNumber("bytesPerSecond", seconds > 0 ? Math.Round(report.Inputs.Sum(i => i.Bytes) / seconds) : 0);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>The report JSON as a string.</summary>
    public static string ToJson(ValidationReport report)
    {
        using var buffer = new MemoryStream();
        WriteJson(report, buffer);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>A short summary for people: totals, rules with findings, a few examples.</summary>
    public static string ToText(ValidationReport report)
    {
        var text = new StringBuilder();
        var totals = report.Totals;
        var inv = CultureInfo.InvariantCulture;
        foreach (var input in report.Inputs.Where(i => i.Error is not null))
            text.AppendLine(inv, $"error: {input.Path}: {input.Error}");
        var bytes = report.Inputs.Sum(i => i.Bytes);
        text.AppendLine(inv, $"{report.Inputs.Count} input(s), {bytes:N0} bytes, {report.Elapsed.TotalSeconds:F2} s");
        text.AppendLine(inv, $"spans {totals.Spans:N0}  traces {totals.Traces:N0}  valid {totals.ValidSpans:N0}  invalid {totals.InvalidSpans:N0}");
        text.AppendLine(inv, $"errors {totals.Errors:N0}  warnings {totals.Warnings:N0}");
        if (report.Partitions > 0 && report.SpillBytes > 0)
            text.AppendLine(inv, $"span table in {report.Partitions} trace-ID partitions ({report.SpillBytes / 1048576.0:N1} MiB spilled to disk)");
        else if (report.Partitions > 0)
            text.AppendLine(inv, $"span table in {report.Partitions} trace-ID partitions, held in memory (faster than one table this large)");
        if (report.RuleCounts.Count > 0)
        {
            text.AppendLine();
            foreach (var (rule, count) in report.RuleCounts.OrderBy(r => r.Key))
                text.AppendLine(inv, $"  {SeverityName(rule.Severity()),-7} {rule.Id(),-26} {count,12:N0}");
        }

        if (totals.TracesWithFindings > 0)
        {
            text.AppendLine();
            text.AppendLine(inv, $"traces: {totals.TracesWithFindings:N0} of {totals.Traces:N0} have findings; the worst:");
            foreach (var trace in report.WorstTraces)
            {
                var rules = string.Join(", ", trace.Rules.Select(r => $"{r.Key} {r.Value:N0}"));
                text.AppendLine(inv, $"  {trace.TraceId}  {trace.Errors:N0} errors  {trace.Warnings:N0} warnings  {trace.Spans:N0} spans ({rules})");
            }
        }

        if (report.Examples.Count > 0)
        {
            text.AppendLine();
            text.AppendLine(inv, $"examples (up to {TextExamplesPerRule} per rule; the JSON report has all kept):");
            foreach (var e in report.Examples.GroupBy(e => e.Rule).SelectMany(g => g.Take(TextExamplesPerRule)))
            {
                var span = e.TraceId.Length + e.SpanId.Length > 0 ? $" trace {e.TraceId} span {e.SpanId}" : "";
                text.AppendLine(inv, $"  {e.Rule.Id()}: {e.Path} @{e.Offset}{span}: {e.Message}");
            }
        }

        text.AppendLine();
        text.Append(report.ExitCode switch
        {
            0 => "result: no errors",
            1 => "result: span errors found",
            _ => "result: input could not be fully read",
        });
        return text.ToString();
    }

    private static string SeverityName(Severity severity) => severity == Severity.Error ? "error" : "warning";
}
