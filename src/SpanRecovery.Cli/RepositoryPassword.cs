using System.CommandLine;
using System.Text;
using SpanRecovery.Repository;

namespace SpanRecovery.Cli;

/// <summary>
/// Where the password of an encrypted repository comes from (docs/commands.md "Passwords"): <c>--password-file F</c>,
/// else <c>SPANRECOVERY_PASSWORD</c>, else a prompt when standard input is a terminal (nothing echoed). A script
/// without any of them gets a clear error (exit 2) instead of a prompt nobody answers.
/// </summary>
internal static class RepositoryPassword
{
    public const string EnvironmentVariable = "SPANRECOVERY_PASSWORD";
    public const string NewPasswordVariable = "SPANRECOVERY_NEW_PASSWORD";

    public static Option<string?> FileOption() =>
        new("--password-file") { Description = $"File whose first line is the repository's password (else ${EnvironmentVariable}, else a prompt on a terminal)" };

    /// <summary>
    /// Opens the repository at <paramref name="path"/>, unlocked when it is encrypted. Without a password an
    /// encrypted repository stays locked when <paramref name="required"/> is false (<c>backups verify</c> checks it
    /// as stored); otherwise that is <see cref="RepositoryError.PasswordRequired"/>.
    /// </summary>
    public static BackupRepository Open(string path, ParseResult parse, Option<string?> file, TextWriter? warnings = null, bool required = true)
    {
        var repository = BackupRepository.Open(path, warnings);
        if (!repository.IsEncrypted)
            return repository;
        if (Find(parse.GetValue(file), EnvironmentVariable, $"password of {repository.Path}", confirm: false) is { } password)
            repository.Unlock(password);
        else if (required)
            repository.RequireKey();
        return repository;
    }

    /// <summary>A password for a new key (<c>repo init --encrypt</c>, <c>repo key add</c>): asked twice at a prompt, never empty.</summary>
    public static string New(string? file, string variable, string what) =>
        Find(file, variable, what, confirm: true) is { Length: > 0 } password ? password
        : throw new UsageException($"no {what}: give it in ${variable} or with a password file, or run on a terminal to be asked (it must not be empty)");

    private static string? Find(string? file, string variable, string what, bool confirm)
    {
        if (file is not null)
            return ReadFile(file);
        if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } fromEnvironment)
            return fromEnvironment;
        if (Console.IsInputRedirected)
            return null;
        var password = Prompt($"{what}: ");
        if (confirm && Prompt($"{what} again: ") != password)
            throw new UsageException("the two passwords differ");
        return password;
    }

    private static string ReadFile(string file)
    {
        try
        {
            using var reader = new StreamReader(file, Encoding.UTF8);
            return reader.ReadLine() ?? "";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read the password file {file}: {e.Message}");
        }
    }

    /// <summary>Reads a line from the terminal without echoing it.</summary>
    private static string Prompt(string prompt)
    {
        Console.Error.Write(prompt);
        var password = new StringBuilder();
        while (true)
        {
            ConsoleKeyInfo key;
            try
            {
                key = Console.ReadKey(intercept: true);
            }
            catch (InvalidOperationException)
            {
                // Standard input is a device but no terminal (/dev/null under cron, say): nobody can answer.
                Console.Error.WriteLine();
                throw new UsageException($"no terminal to ask for the password on: give it in ${EnvironmentVariable} or with --password-file");
            }

            if (key.Key == ConsoleKey.Enter)
                break;
            if (key.Key == ConsoleKey.Backspace)
            {
                if (password.Length > 0)
                    password.Length--;
            }
            else if (!char.IsControl(key.KeyChar))
            {
                password.Append(key.KeyChar);
            }
        }

        Console.Error.WriteLine();
        return password.ToString();
    }
}
