using SpanRecovery.Repository;
using SpanRecovery.Validation;

namespace SpanRecovery.Restore;

/// <summary>
/// The after-restore checks of DESIGN §6, collected as problems: bytes and span tallies that differ from
/// what the backups recorded, and validation errors the backups did not already record.
/// </summary>
internal sealed class RestoreVerification
{
    private readonly List<string> _problems = [];

    public IReadOnlyList<string> Problems => _problems;

    public bool Ok => _problems.Count == 0;

    public void Expect(bool condition, string problem)
    {
        if (!condition)
            _problems.Add(problem);
    }

    /// <summary>
    /// Per error rule, the restored data may not have more findings than the backups recorded together.
    /// The tally leaves out the rules between spans (duplicate-span, parent-cycle): a restore keeps a subset
    /// of the captured spans, which cannot pair spans into a duplicate or a cycle that were not already there.
    /// </summary>
    public void ExpectNoNewErrors(SpanRuleTally restored, IEnumerable<BackupManifest> backups)
    {
        var recorded = backups.Select(b => b.Validation).ToList();
        foreach (var (id, count) in restored.RuleCounts)
        {
            if (!Rules.TryParse(id, out var rule) || rule.Severity() != Severity.Error)
                continue;
            var before = recorded.Sum(v => v.Rules.GetValueOrDefault(id));
            Expect(count <= before, $"validation of the restored data finds {count} {id} where the backups recorded {before}");
        }

        var unreadableBefore = recorded.Sum(v => v.UnreadableInputs);
        Expect(restored.UnreadableInputs <= unreadableBefore,
            $"{restored.UnreadableInputs} restored files cannot be read where the backups recorded {unreadableBefore}");
    }
}
