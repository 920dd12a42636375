using System.CommandLine;

namespace SpanRecovery.Cli.Commands;

internal static class DemoCommand
{
    public static Command Create() => new("demo", "Run the main job on an embedded default data set (not wired yet)");
}
