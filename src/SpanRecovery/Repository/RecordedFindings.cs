using SpanRecovery.Validation;

namespace SpanRecovery.Repository;

/// <summary>
/// Backed-up data read again — restored, or read whole by deep verification — may show no error the backups
/// did not record when they captured it. The tally leaves out the rules between spans (duplicate-span,
/// parent-cycle): a read of a chain holds a subset of the captured spans, which cannot pair spans into a
/// duplicate or a cycle that were not already there.
/// </summary>
internal static class RecordedFindings
{
    /// <summary>Each error rule (and unreadable files) found more often than <paramref name="backups"/> recorded together.</summary>
    public static IEnumerable<string> NewErrors(SpanRuleTally read, IEnumerable<BackupManifest> backups)
    {
        var recorded = backups.Select(b => b.Validation).ToList();
        foreach (var (id, count) in read.RuleCounts)
        {
            if (!Rules.TryParse(id, out var rule) || rule.Severity() != Severity.Error)
                continue;
            var before = recorded.Sum(v => v.Rules.GetValueOrDefault(id));
            if (count > before)
                yield return $"validation of the restored data finds {count} {id} where the backups recorded {before}";
        }

        var unreadableBefore = recorded.Sum(v => v.UnreadableInputs);
        if (read.UnreadableInputs > unreadableBefore)
            yield return $"{read.UnreadableInputs} restored files cannot be read where the backups recorded {unreadableBefore}";
    }
}
