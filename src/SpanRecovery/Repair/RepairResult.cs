using SpanRecovery.Validation;

namespace SpanRecovery.Repair;

/// <summary>One input file of a repair (docs/report-json.md, <c>repair --json</c>).</summary>
/// <param name="Output">The clean copy; null when the input could not be read at all.</param>
/// <param name="Problems">Why records (or the whole input) were left out, or removed spans could not be quarantined: one line each, naming the offset.</param>
internal sealed record RepairedFile(
    string Input, string? Output, string? Format, string? Compression, long SpansIn, long SpansOut, long SpansRemoved, IReadOnlyList<string> Problems);

/// <summary>
/// What a repair did: <see cref="SpansOut"/> is what the clean copy holds when validated again, and equals
/// <see cref="SpansIn"/> − <see cref="SpansRemoved"/> − <see cref="SpansInUnreadableRecords"/>.
/// </summary>
/// <param name="Removed">Removed spans per rule id (a span removed for two rules counts under both).</param>
/// <param name="Quarantined">Spans written to the quarantine; null without one.</param>
/// <param name="OutputErrors">Error findings in the clean copy (must be 0).</param>
internal sealed record RepairResult(
    long SpansIn,
    long SpansOut,
    long SpansRemoved,
    IReadOnlyDictionary<string, long> Removed,
    IReadOnlyList<RepairedFile> Files,
    long? Quarantined,
    long SpansInUnreadableRecords,
    long OutputErrors)
{
    /// <summary>docs/commands.md: 2 something could not be read (or quarantined), 1 the clean copy is not clean or not whole, 0 done.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int ExitCode =>
        Files.Any(f => f.Problems.Count > 0) ? 2
        : OutputErrors > 0 || SpansOut != SpansIn - SpansRemoved - SpansInUnreadableRecords ? 1
        : 0;

    internal static IReadOnlyDictionary<string, long> ByRuleId(IEnumerable<KeyValuePair<Rule, long>> counts) =>
        new SortedDictionary<string, long>(
            counts.GroupBy(c => c.Key).ToDictionary(g => g.Key.Id(), g => g.Sum(c => c.Value)), StringComparer.Ordinal);
}
