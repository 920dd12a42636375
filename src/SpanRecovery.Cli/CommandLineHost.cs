using System.CommandLine;
using SpanRecovery.Encryption;
using SpanRecovery.Repository;
using SpanRecovery.Restore;
using SpanRecovery.Sharding;
using SpanRecovery.Storage;

namespace SpanRecovery.Cli;

/// <summary>
/// Runs the command line with the exit codes of docs/commands.md: a usage error is 2 (System.CommandLine's own
/// default is 1, which we reserve for integrity problems), and no exception ever reaches the user as a stack
/// trace.
/// </summary>
internal static class CommandLineHost
{
    public static async Task<int> RunAsync(RootCommand root, string[] args)
    {
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
                await Console.Error.WriteLineAsync($"spanrecovery: {error.Message}");
            await Console.Error.WriteLineAsync("Run 'spanrecovery --help' for usage.");
            return ExitCodes.Usage;
        }

        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }, cancel.Token);
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("spanrecovery: cancelled");
            return 130;
        }
        catch (UsageException e)
        {
            await Console.Error.WriteLineAsync($"spanrecovery: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (RecoveryException e)
        {
            var hint = e is CorruptedBackupException { Damaged.Count: > 0 } ? " (--force restores what can be read)" : "";
            await Console.Error.WriteLineAsync($"spanrecovery: {e.Message}{hint}");
            return e switch
            {
                BackupNotFoundException => ExitCodes.NotFound,
                RestoreTargetRefusedException or TargetWriteFailedException => ExitCodes.Usage,
                _ => ExitCodes.IntegrityProblem,
            };
        }
        catch (RepositoryException e)
        {
            var hint = e.Error switch
            {
                RepositoryError.RepositoryNotFound => " (create one with 'spanrecovery repo init')",
                RepositoryError.PasswordRequired => $" (set {RepositoryPassword.EnvironmentVariable}, give --password-file, or run on a terminal to be asked)",
                _ => "",
            };
            await Console.Error.WriteLineAsync($"spanrecovery: {e.Message}{hint}");
            return e.Error switch
            {
                RepositoryError.RepositoryNotFound or RepositoryError.BackupNotFound or RepositoryError.SourceNotFound => ExitCodes.NotFound,
                RepositoryError.LockHeld => ExitCodes.Locked,
                RepositoryError.AuthenticationFailed => ExitCodes.IntegrityProblem,
                _ => ExitCodes.Usage,
            };
        }
        catch (ArgumentException e)
        {
            // A value out of range that only the library could judge (a task index beyond the plan, say).
            await Console.Error.WriteLineAsync($"spanrecovery: {e.Message.Split(" (Parameter", 2)[0]}");
            return ExitCodes.Usage;
        }
        catch (ShardException e)
        {
            // Missing tasks, a damaged object: the run cannot be trusted yet, and the message says what to rerun.
            await Console.Error.WriteLineAsync($"spanrecovery: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is InvalidDataException or ObjectAuthenticationException)
        {
            // A repository file that cannot be read is damage, as `backups verify` would report it.
            await Console.Error.WriteLineAsync($"spanrecovery: {e.Message}");
            return ExitCodes.IntegrityProblem;
        }
        catch (OutOfMemoryException)
        {
            // The span table stays within --memory-limit; what is left is a record or a trace too big for the heap.
            await Console.Error.WriteLineAsync("spanrecovery: out of memory: lower --memory-limit or --max-record-bytes, or give the process more memory");
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or OutputWriteException)
        {
            await Console.Error.WriteLineAsync($"spanrecovery: {e.Message}");
            return ExitCodes.Usage;
        }
    }
}

/// <summary>Exit codes everywhere (docs/commands.md).</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int IntegrityProblem = 1;
    public const int Usage = 2;
    public const int NotFound = 3;
    public const int Locked = 4;
}

/// <summary>A bad option value found after parsing; reported as a usage error (exit 2).</summary>
internal sealed class UsageException(string message) : Exception(message);
