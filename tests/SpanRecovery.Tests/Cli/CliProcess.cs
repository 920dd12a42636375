using System.Diagnostics;

namespace SpanRecovery.Tests.CliProcess;

/// <summary>What one run of the real <c>spanrecovery</c> CLI produced.</summary>
internal sealed record CliResult(int ExitCode, string StdOut, string StdErr)
{
    public string[] StdErrLines => StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public override string ToString() => $"exit {ExitCode}\n--- stdout:\n{StdOut}\n--- stderr:\n{StdErr}";

    /// <summary>The run ended with <paramref name="exitCode"/> and without a stack trace (a clear message, never a crash).</summary>
    public void AssertClean(int exitCode)
    {
        Assert.True(ExitCode == exitCode, ToString());
        Assert.DoesNotContain("   at ", StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", StdErr, StringComparison.Ordinal);
    }
}

/// <summary>
/// Runs the built CLI (<c>spanrecovery.dll</c>, copied next to the test assembly by the project reference, or the
/// native executable) as a separate process, with redirected output — as a script would.
/// </summary>
internal static class Spanrecovery
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    public static string DllPath { get; } = Path.Combine(AppContext.BaseDirectory, "spanrecovery.dll");

    /// <summary>
    /// The native executable (<c>dotnet publish -r linux-x64 -p:PublishAot=true</c>) named by <c>SPANRECOVERY_CLI</c>:
    /// when set, every CLI test runs it instead of <c>spanrecovery.dll</c>, so both builds pass the same tests.
    /// </summary>
    public static string? NativeExecutable { get; } =
        Environment.GetEnvironmentVariable("SPANRECOVERY_CLI") is { Length: > 0 } path ? Path.GetFullPath(path) : null;

    private static string DotnetHost
    {
        get
        {
            var fromSdk = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
            if (!string.IsNullOrEmpty(fromSdk) && File.Exists(fromSdk))
                return fromSdk;
            var self = Environment.ProcessPath;
            return self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
        }
    }

    public static Task<CliResult> RunAsync(params string[] args) => RunAsync(new Dictionary<string, string>(), args);

    /// <summary>Runs with extra environment variables (a capped heap, say).</summary>
    public static Task<CliResult> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = StartInfo(args);
        foreach (var (name, value) in environment)
            start.Environment[name] = value;
        return RunAsync(start, args);
    }

    /// <summary>
    /// Runs where no file may grow past <paramref name="kibibytes"/> (<c>ulimit -f</c>), as on a file system with
    /// a file-size limit: a write past it fails (EFBIG; the signal that would end the process is ignored).
    /// The dotnet host's code pages, mapped from a file as large as they are, are kept in memory instead.
    /// </summary>
    public static Task<CliResult> RunWithFileSizeLimitAsync(int kibibytes, params string[] args)
    {
        var cli = StartInfo(args);
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in (string[])["-c", $"trap '' XFSZ; ulimit -f {kibibytes}; exec \"$@\"", "bash", cli.FileName, .. cli.ArgumentList])
            start.ArgumentList.Add(arg);
        foreach (var (name, value) in cli.Environment)
            start.Environment[name] = value;
        start.Environment["DOTNET_EnableWriteXorExecute"] = "0";
        return RunAsync(start, args);
    }

    private static async Task<CliResult> RunAsync(ProcessStartInfo start, string[] args)
    {
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {start.FileName}");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"spanrecovery {string.Join(' ', args)} did not finish in {Timeout}");
        }

        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>How to start the CLI with <paramref name="args"/> (output redirected), for tests that manage the process themselves.</summary>
    public static ProcessStartInfo StartInfo(params string[] args)
    {
        if (NativeExecutable is not null)
            Assert.True(File.Exists(NativeExecutable), $"SPANRECOVERY_CLI names {NativeExecutable}, which is missing");
        else
            Assert.True(File.Exists(DllPath), $"{DllPath} is missing: the test project must reference the CLI project");
        var start = new ProcessStartInfo(NativeExecutable ?? DotnetHost)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (NativeExecutable is null)
            start.ArgumentList.Add(DllPath);
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        start.Environment["DOTNET_CLI_UI_LANGUAGE"] = "en";
        start.Environment["NO_COLOR"] = "1";
        return start;
    }
}
