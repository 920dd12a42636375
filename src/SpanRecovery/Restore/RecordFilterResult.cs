namespace SpanRecovery.Restore;

/// <summary>How many spans of one record a filter kept and dropped.</summary>
internal readonly record struct RecordFilterResult(int Kept, int Dropped)
{
    /// <summary>Spans were dropped and none kept: the record is gone (the filter wrote nothing).</summary>
    public bool LostAllSpans => Kept == 0 && Dropped > 0;

    public static RecordFilterResult operator +(RecordFilterResult left, RecordFilterResult right) =>
        new(left.Kept + right.Kept, left.Dropped + right.Dropped);
}
