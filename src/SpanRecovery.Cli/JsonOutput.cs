using SpanRecovery.Repository;

namespace SpanRecovery.Cli;

/// <summary>Writes <c>--json</c> output of repository commands on stdout, in the repository's JSON dialect.</summary>
internal static class JsonOutput
{
    public static void Write<T>(T value)
    {
        using var stdout = Console.OpenStandardOutput();
        stdout.Write(RepositoryJson.Serialize(value));
        stdout.Write("\n"u8);
    }
}
