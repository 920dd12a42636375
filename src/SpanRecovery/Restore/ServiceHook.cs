using System.Diagnostics;

namespace SpanRecovery.Restore;

/// <summary>
/// Runs a user's stop/start command (DESIGN §6 pre-hook and post-hook) through the shell, streaming its
/// output to the log line by line, and returns its exit code. The restore's context is passed in the
/// environment: SPANRECOVERY_PHASE (pre | post), SPANRECOVERY_TARGET, SPANRECOVERY_BACKUPS and, for the
/// post-hook, SPANRECOVERY_OUTCOME (success | failure). A hook still running at its time limit is stopped
/// (with its child processes) and reported as exit 124, so a hanging start script cannot hang the restore.
/// </summary>
internal static class ServiceHook
{
    /// <summary>The exit code reported for a hook stopped at its time limit (as coreutils' timeout does).</summary>
    public const int TimedOut = 124;

    public static async Task<int> RunAsync(
        string command, IReadOnlyDictionary<string, string> environment, TimeSpan timeout, TextWriter? log, CancellationToken cancellationToken)
    {
        var start = OperatingSystem.IsWindows()
            ? new ProcessStartInfo("cmd.exe") { ArgumentList = { "/c", command } }
            : new ProcessStartInfo("/bin/sh") { ArgumentList = { "-c", command } };
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        foreach (var (key, value) in environment)
            start.Environment[key] = value;
        var phase = environment.GetValueOrDefault("SPANRECOVERY_PHASE", "hook");

        using var process = new Process { StartInfo = start };
        var gate = new object();
        void Forward(object sender, DataReceivedEventArgs e)
        {
            if (e.Data is null || log is null)
                return;
            lock (gate)
                log.WriteLine($"[{phase}-hook] {e.Data}");
        }

        process.OutputDataReceived += Forward;
        process.ErrorDataReceived += Forward;
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            log?.WriteLine($"[{phase}-hook] could not start: {e.Message}");
            return 127;
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeoutOrCancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutOrCancel.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(timeoutOrCancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            cancellationToken.ThrowIfCancellationRequested();
            log?.WriteLine($"[{phase}-hook] still running after {timeout.TotalSeconds:0.#} s: stopped");
            return TimedOut;
        }

        log?.WriteLine($"[{phase}-hook] exited with {process.ExitCode}");
        return process.ExitCode;
    }
}
