using System.CommandLine;

namespace SpanRecovery.Cli.Commands;

internal static class GenerateCommand
{
    public static Command Create() => new("generate", "Generate a deterministic trace archive (not wired yet)");
}
