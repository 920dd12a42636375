namespace SpanRecovery.Validation;

/// <summary>
/// The records spans were read from, numbered in input order, so that a span table entry names its record
/// (input and offset) in 28 bits instead of carrying both. Spans of one record arrive together, so this
/// grows by one small item per record, not per span.
/// </summary>
internal sealed class RecordLocations
{
    private readonly List<(int Input, long Offset)> _records = [];

    /// <summary>The ordinal of the record at this input and offset: the last one, or a new one.</summary>
    public int Ordinal(int input, long offset)
    {
        if (_records.Count > 0 && _records[^1] == (input, offset))
            return _records.Count - 1;
        if (_records.Count == SpanTable.MaxRecords)
            throw new InvalidOperationException($"more than {SpanTable.MaxRecords:N0} records in one span table (partition the data set: --partitions)");
        _records.Add((input, offset));
        return _records.Count - 1;
    }

    public (int Input, long Offset) this[int ordinal] => _records[ordinal];
}
