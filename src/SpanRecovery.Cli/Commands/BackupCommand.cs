using System.CommandLine;
using SpanRecovery.Repository;

namespace SpanRecovery.Cli.Commands;

/// <summary><c>spanrecovery backup --repo REPO --source DIR [--type …] [--json]</c>: one append-aware backup (docs/repository.md).</summary>
internal static class BackupCommand
{
    public static Command Create()
    {
        var repo = new Option<string>("--repo") { Description = "Backup repository: a directory or s3://bucket/prefix", Required = true };
        var source = new Option<string>("--source") { Description = "Directory of trace archives to back up", Required = true };
        var type = new Option<string?>("--type") { Description = "full, incremental or differential (default: from the repository's strategy)" };
        type.AcceptOnlyFromAmong([.. Enum.GetValues<BackupType>().Select(t => t.Name())]);
        var json = new Option<bool>("--json") { Description = "Print the new backup as JSON" };
        var passwordFile = RepositoryPassword.FileOption();

        var command = new Command("backup", "Back up a directory of trace archives into a repository") { repo, source, type, json, passwordFile };
        command.SetAction(async (parse, cancellationToken) =>
        {
            BackupType? requested = BackupTypeNames.TryParse(parse.GetValue(type), out var parsed) ? parsed : null;
            var manager = new BackupManager(RepositoryPassword.Open(parse.GetValue(repo)!, parse, passwordFile, StderrLog.Instance));
            var result = await manager.CreateBackupAsync(parse.GetValue(source)!, requested, cancellationToken);
            foreach (var link in result.Manifest.Files.Where(f => f.LinkTarget is not null))
                Console.Error.WriteLine($"spanrecovery: note: {link.Path}: symbolic link to {link.LinkTarget}, recorded as a link (not followed)");
            foreach (var skipped in result.Skipped)
                Console.Error.WriteLine($"spanrecovery: warning: {skipped.Path}: skipped: {skipped.Reason}");
            if (parse.GetValue(json))
                JsonOutput.Write(result.Manifest.ToSummary() with { Skipped = result.Skipped });
            else
                PrintText(result);
            // Something of the source is not in the backup: scripts must notice, the rest is safely stored.
            return result.Skipped.Count == 0 ? ExitCodes.Ok : ExitCodes.IntegrityProblem;
        });
        return command;
    }

    private static void PrintText(BackupResult result)
    {
        var manifest = result.Manifest;
        var validation = manifest.Validation;
        Console.WriteLine($"backup {manifest.Name} ({manifest.Type}{(manifest.Parent is null ? "" : $", parent {manifest.Parent}")})");
        Console.WriteLine($"  source    {manifest.Source}");
        Console.WriteLine($"  files     {manifest.Files.Count} ({manifest.Segments.Count} with new data){(result.Skipped.Count > 0 ? $", {result.Skipped.Count} entries skipped (see the warnings)" : "")}");
        Console.WriteLine($"  spans     {manifest.Totals.Spans:N0}");
        Console.WriteLine($"  bytes     {manifest.Totals.SourceBytes:N0} in, {manifest.Totals.StoredBytes:N0} stored");
        Console.WriteLine($"  duration  {result.Duration.TotalSeconds:0.00} s");
        Console.WriteLine($"  findings  {BackupsCommand.Findings(validation)}");
    }
}
