using SpanRecovery.Repository;
using SpanRecovery.Validation;

namespace SpanRecovery.Restore;

/// <summary>
/// The after-restore checks of docs/restore.md, collected as problems: bytes and span tallies that differ from
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

    /// <summary>The restored data shows no error the backups did not record (<see cref="RecordedFindings"/>).</summary>
    public void ExpectNoNewErrors(SpanRuleTally restored, IEnumerable<BackupManifest> backups) =>
        _problems.AddRange(RecordedFindings.NewErrors(restored, backups));
}
