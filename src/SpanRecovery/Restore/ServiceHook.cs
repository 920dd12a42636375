using System.Diagnostics;
using System.Text;

namespace SpanRecovery.Restore;

/// <summary>
/// Runs a user's stop/start command (docs/restore.md pre-hook and post-hook) through the shell, forwarding its
/// output to the log line by line, and returns its exit code. The restore's context is passed in the
/// environment: SPANRECOVERY_PHASE (pre | post), SPANRECOVERY_TARGET, SPANRECOVERY_BACKUPS and, for the
/// post-hook, SPANRECOVERY_OUTCOME (success | failure). A hook still running at its time limit is stopped
/// (with its child processes) and reported as exit 124, so a hanging start script cannot hang the restore.
/// </summary>
/// <remarks>
/// The hook's output goes to a temporary file that is tailed, not to a pipe: a start script that leaves a
/// service running in the background (<c>svc &amp;</c>) hands that service its output, and a pipe would stay
/// open — the restore would wait for the service instead of the script — and would break (SIGPIPE) the
/// service once closed. The hook is done when its own process exits; its background children keep running
/// and write to the file, which is unlinked by then.
/// </remarks>
internal static class ServiceHook
{
    /// <summary>The exit code reported for a hook stopped at its time limit (as coreutils' timeout does).</summary>
    public const int TimedOut = 124;

    private static readonly TimeSpan TailInterval = TimeSpan.FromMilliseconds(50);

    public static async Task<int> RunAsync(
        string command, IReadOnlyDictionary<string, string> environment, TimeSpan timeout, TextWriter? log, CancellationToken cancellationToken)
    {
        var phase = environment.GetValueOrDefault("SPANRECOVERY_PHASE", "hook");
        var output = Path.Combine(Path.GetTempPath(), $"spanrecovery-hook-{Environment.ProcessId}-{Guid.NewGuid():N}.log");
        var start = OperatingSystem.IsWindows()
            ? new ProcessStartInfo("cmd.exe") { ArgumentList = { "/c", $"({command}) > \"{output}\" 2>&1" } }
            : new ProcessStartInfo("/bin/sh") { ArgumentList = { "-c", $"exec > '{output}' 2>&1\n{command}" } };
        start.UseShellExecute = false;
        foreach (var (key, value) in environment)
            start.Environment[key] = value;

        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            log?.WriteLine($"[{phase}-hook] could not start: {e.Message}");
            return 127;
        }

        using var tail = new OutputTail(output, line => log?.WriteLine($"[{phase}-hook] {line}"));
        using var timeoutOrCancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutOrCancel.CancelAfter(timeout);
        try
        {
            while (!process.WaitForExit(0))
            {
                tail.Forward();
                await Task.Delay(TailInterval, timeoutOrCancel.Token);
            }
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            tail.Forward(final: true);
            cancellationToken.ThrowIfCancellationRequested();
            log?.WriteLine($"[{phase}-hook] still running after {timeout.TotalSeconds:0.#} s: stopped");
            return TimedOut;
        }

        tail.Forward(final: true);
        log?.WriteLine($"[{phase}-hook] exited with {process.ExitCode}");
        return process.ExitCode;
    }

    /// <summary>Forwards the complete lines appended to a file since the last look; removes the file when disposed.</summary>
    private sealed class OutputTail(string path, Action<string> line) : IDisposable
    {
        private readonly StringBuilder _partial = new();
        private readonly Decoder _decoder = Encoding.UTF8.GetDecoder();
        private readonly byte[] _buffer = new byte[16 * 1024];
        private readonly char[] _chars = new char[Encoding.UTF8.GetMaxCharCount(16 * 1024)];
        private FileStream? _file;

        public void Forward(bool final = false)
        {
            try
            {
                _file ??= new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            }
            catch (FileNotFoundException)
            {
                return; // the shell has not created it yet
            }

            int read;
            while ((read = _file.Read(_buffer)) > 0)
            {
                var count = _decoder.GetChars(_buffer, 0, read, _chars, 0);
                foreach (var c in _chars.AsSpan(0, count))
                {
                    if (c == '\n')
                        Flush();
                    else if (c != '\r')
                        _partial.Append(c);
                }
            }

            if (final && _partial.Length > 0)
                Flush();
        }

        private void Flush()
        {
            line(_partial.ToString());
            _partial.Clear();
        }

        public void Dispose()
        {
            _file?.Dispose();
            File.Delete(path);
        }
    }
}
