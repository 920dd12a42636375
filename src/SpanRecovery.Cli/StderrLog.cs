using System.Text;

namespace SpanRecovery.Cli;

/// <summary>
/// Standard error for the library's log lines: each line gets the tool's name in front, as every other line
/// the tool writes there has, while the library itself speaks without knowing which program runs it.
/// </summary>
internal sealed class StderrLog : TextWriter
{
    public static readonly StderrLog Instance = new();

    private StderrLog()
    {
    }

    public override Encoding Encoding => Console.Error.Encoding;

    public override void WriteLine(string? value) => Console.Error.WriteLine($"spanrecovery: {value}");

    public override void Write(char value) => Console.Error.Write(value);
}
