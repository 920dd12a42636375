using System.Globalization;
using System.Text;

namespace SpanRecovery.Restore;

/// <summary>
/// What an unfinished restore has delivered, so that a rerun skips it and reports it as that run did. A text
/// file: the restore's key on the first line, then one line per event, flushed after each (the OS cache is
/// enough: losing the last lines in a crash only means resending those batches, which OTLP tolerates):
/// <c>INDEX</c> for an acknowledged batch, <c>INDEX REJECTED MESSAGE</c> for one the receiver partly rejected,
/// <c>limit FROM BYTES</c> when a receiver's 413 lowered the batch size from batch FROM on, and
/// <c>shift NANOS</c> for the time offset the restore applies. A file with another key belongs to another
/// restore and is started afresh. An existing journal is rewritten on open, which drops a line torn by a crash
/// before new lines are appended. No header value is ever written here.
/// </summary>
internal sealed class ResumeJournal : IDisposable
{
    private readonly string _path;
    private readonly Dictionary<long, (long Rejected, string Message)> _acknowledged = [];
    private readonly List<(long From, int Limit)> _limits = [];
    private readonly Lock _lock = new();
    private readonly StreamWriter _writer;

    public ResumeJournal(string path, string key)
    {
        if (key.AsSpan().ContainsAny('\r', '\n'))
            throw new ArgumentException("The journal key must be a single line.", nameof(key));
        _path = path;
        if (File.Exists(path))
            LoadIfSameRestore(key);

        var temporary = path + ".tmp";
        using (var fresh = new StreamWriter(temporary, append: false, Encoding.UTF8))
        {
            fresh.WriteLine(key);
            if (ShiftNanos is { } shift)
                fresh.WriteLine(ShiftLine(shift));
            foreach (var (from, limit) in _limits)
                fresh.WriteLine(LimitLine(from, limit));
            foreach (var (index, (rejected, message)) in _acknowledged.OrderBy(a => a.Key))
                fresh.WriteLine(AcknowledgedLine(index, rejected, message));
        }

        File.Move(temporary, path, overwrite: true);
        _writer = new StreamWriter(path, append: true, Encoding.UTF8);
    }

    /// <summary>The time offset an earlier run of the same restore applied, if it recorded one.</summary>
    public long? ShiftNanos { get; private set; }

    /// <summary>Batch size limits earlier runs lowered after a 413, each from a batch index on.</summary>
    public IReadOnlyList<(long From, int Limit)> Limits => _limits;

    /// <summary>Whether an earlier run of the same restore delivered the batch, and what the receiver rejected of it then.</summary>
    public bool WasAcknowledged(long batchIndex, out long rejectedSpans, out string rejectionMessage)
    {
        var found = _acknowledged.TryGetValue(batchIndex, out var entry);
        (rejectedSpans, rejectionMessage) = found ? entry : (0, "");
        return found;
    }

    /// <summary>Records a delivered batch and what the receiver rejected of it; safe to call from concurrent senders.</summary>
    public void Acknowledge(long batchIndex, long rejectedSpans = 0, string? rejectionMessage = null) =>
        Append(AcknowledgedLine(batchIndex, rejectedSpans, rejectionMessage ?? ""));

    /// <summary>Records a lowered batch size limit.</summary>
    public void RecordLimit(long fromBatch, int limit) => Append(LimitLine(fromBatch, limit));

    /// <summary>Records the time offset this restore applies, so a rerun applies the same.</summary>
    public void RecordShift(long shiftNanos)
    {
        ShiftNanos = shiftNanos;
        Append(ShiftLine(shiftNanos));
    }

    /// <summary>Removes the journal once the restore is complete.</summary>
    public void Delete()
    {
        Dispose();
        File.Delete(_path);
    }

    public void Dispose()
    {
        lock (_lock)
            _writer.Dispose();
    }

    private void Append(string line)
    {
        lock (_lock)
        {
            _writer.WriteLine(line);
            _writer.Flush();
        }
    }

    private static string AcknowledgedLine(long index, long rejected, string message) =>
        rejected == 0 && message.Length == 0
            ? index.ToString(CultureInfo.InvariantCulture)
            : string.Create(CultureInfo.InvariantCulture, $"{index} {rejected} {message.ReplaceLineEndings(" ")}");

    private static string LimitLine(long from, int limit) => string.Create(CultureInfo.InvariantCulture, $"limit {from} {limit}");

    private static string ShiftLine(long shift) => string.Create(CultureInfo.InvariantCulture, $"shift {shift}");

    /// <summary>Reads the lines of a journal with this key; a last line without its newline was torn and is ignored, and so is any line it cannot read.</summary>
    private void LoadIfSameRestore(string key)
    {
        var lines = File.ReadAllText(_path, Encoding.UTF8).Split('\n');
        if (lines.Length < 2 || lines[0].TrimEnd('\r') != key)
            return;
        foreach (var line in lines.AsSpan(1, lines.Length - 2))
        {
            var parts = line.TrimEnd('\r').Split(' ', 3);
            if (parts is ["shift", var shift] && long.TryParse(shift, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var nanos))
                ShiftNanos = nanos;
            else if (parts is ["limit", var from, var limit] && long.TryParse(from, NumberStyles.None, CultureInfo.InvariantCulture, out var fromBatch)
                && int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out var bytes) && bytes > 0)
                _limits.Add((fromBatch, bytes));
            else if (long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var index))
                _acknowledged[index] = parts is [_, var rejected, ..] && long.TryParse(rejected, NumberStyles.None, CultureInfo.InvariantCulture, out var spans)
                    ? (spans, parts.Length > 2 ? parts[2] : "")
                    : (0, "");
        }
    }
}
