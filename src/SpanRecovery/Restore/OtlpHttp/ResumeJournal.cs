using System.Globalization;
using System.Text;

namespace SpanRecovery.Restore;

/// <summary>
/// The batches an unfinished restore has delivered, so that a rerun skips them. A text file: the restore's
/// key on the first line, then one acknowledged batch index per line, flushed after each (the OS cache is
/// enough: losing the last lines in a crash only means resending those batches, which OTLP tolerates). A file
/// with another key belongs to another restore and is started afresh. An existing journal is rewritten on
/// open, which drops a line torn by a crash before new lines are appended.
/// </summary>
internal sealed class ResumeJournal : IDisposable
{
    private readonly string _path;
    private readonly HashSet<long> _acknowledged = [];
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
            foreach (var index in _acknowledged.Order())
                fresh.WriteLine(index.ToString(CultureInfo.InvariantCulture));
        }

        File.Move(temporary, path, overwrite: true);
        _writer = new StreamWriter(path, append: true, Encoding.UTF8);
    }

    /// <summary>Batches delivered by earlier runs of the same restore.</summary>
    public bool WasAcknowledged(long batchIndex) => _acknowledged.Contains(batchIndex);

    /// <summary>Records a delivered batch; safe to call from concurrent senders.</summary>
    public void Acknowledge(long batchIndex)
    {
        lock (_lock)
        {
            _writer.WriteLine(batchIndex.ToString(CultureInfo.InvariantCulture));
            _writer.Flush();
        }
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

    /// <summary>Reads the indices of a journal with this key; a last line without its newline was torn and is ignored.</summary>
    private void LoadIfSameRestore(string key)
    {
        var lines = File.ReadAllText(_path, Encoding.UTF8).Split('\n');
        if (lines.Length < 2 || lines[0].TrimEnd('\r') != key)
            return;
        foreach (var line in lines.AsSpan(1, lines.Length - 2))
        {
            if (long.TryParse(line.TrimEnd('\r'), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
                _acknowledged.Add(index);
        }
    }
}
