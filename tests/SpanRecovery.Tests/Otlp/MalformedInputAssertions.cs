using SpanRecovery.Validation;

namespace SpanRecovery.Tests.OtlpReading;

/// <summary>What every malformed-input case must show in its report.</summary>
internal static class MalformedInputAssertions
{
    /// <summary>
    /// Exactly <paramref name="count"/> findings of the input rule, exit code 2, an example of it at
    /// <paramref name="offset"/> (when known) whose message names that offset, and the given span count —
    /// i.e. the rest of the input was still read.
    /// </summary>
    public static Finding AssertInputFinding(ValidationReport report, Rule rule, long spans, long? offset = null, int count = 1)
    {
        var text = ValidationReportWriter.ToText(report);
        Assert.True(rule.IsInputRule());
        Assert.True(count == report.Count(rule), $"expected {count} × {rule.Id()}\n{text}");
        Assert.Equal(2, report.ExitCode);
        Assert.True(report.HasInputErrors);
        Assert.True(spans == report.Totals.Spans, $"expected {spans} spans\n{text}");
        var finding = report.Examples.First(e => e.Rule == rule);
        if (offset is not null)
        {
            Assert.Equal(offset.Value, finding.Offset);
            Assert.Contains($"offset {offset.Value}", finding.Message, StringComparison.Ordinal);
        }

        return finding;
    }

    /// <summary>Only input findings, none of the span rules: the good data around the damage is clean.</summary>
    public static void AssertNoSpanFindings(ValidationReport report) =>
        Assert.True(report.RuleCounts.Keys.All(r => r.IsInputRule()), ValidationReportWriter.ToText(report));
}
