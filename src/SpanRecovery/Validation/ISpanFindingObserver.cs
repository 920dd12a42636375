namespace SpanRecovery.Validation;

/// <summary>
/// Sees every finding on a span together with where the span was read, as the rule engine counts it: how
/// repair learns which spans to leave out. A span is located by its input's index in the data set, its
/// record's offset in the (decompressed) input and its ordinal among that record's spans.
/// </summary>
internal interface ISpanFindingObserver
{
    /// <summary>The single-span rules one span broke (on the reading thread, in input order).</summary>
    void OnSpanFindings(int input, long offset, int ordinal, RuleSet rules);

    /// <summary>A finding of the span table's rules; partitions are checked in parallel, so this may be called from several threads.</summary>
    void OnTableFinding(in TableFinding finding);
}
