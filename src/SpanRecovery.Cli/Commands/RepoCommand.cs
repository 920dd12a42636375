using System.CommandLine;
using SpanRecovery.Repository;
using SpanRecovery.Restore;

namespace SpanRecovery.Cli.Commands;

/// <summary>
/// <c>spanrecovery repo init REPO [--strategy 3-2-1] [--encrypt]</c> creates a backup repository; <c>repo copy --from R1 --to R2</c>
/// brings a second one up to date; <c>repo key</c> manages the passwords of an encrypted one (docs/repository.md).
/// </summary>
internal static class RepoCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("repo") { Description = "Directory of the new repository (created if missing), or s3://bucket/prefix" };
        var strategy = new Option<string>("--strategy") { Description = "Backup strategy preset", DefaultValueFactory = _ => BackupStrategy.ThreeTwoOne.Name };
        strategy.AcceptOnlyFromAmong([.. BackupStrategy.Presets.Select(p => p.Name)]);
        var encrypt = new Option<bool>("--encrypt") { Description = "Encrypt segments and manifests with a key that a password opens" };
        var passwordFile = RepositoryPassword.FileOption();
        var init = new Command("init", "Create a backup repository") { path, strategy, encrypt, passwordFile };
        init.SetAction(parse =>
        {
            BackupStrategy.TryGetPreset(parse.GetValue(strategy)!, out var preset);
            var repository = parse.GetValue(encrypt)
                ? BackupRepository.InitEncrypted(parse.GetValue(path)!, preset,
                    RepositoryPassword.New(parse.GetValue(passwordFile), RepositoryPassword.EnvironmentVariable, "password of the new repository"))
                : BackupRepository.Init(parse.GetValue(path)!, preset);
            Console.WriteLine($"initialized repository {repository.Path}");
            Console.WriteLine($"  strategy  {preset.Name}: {preset.Type.Name()} backups every {preset.Interval.TotalHours:0.#} h, kept {preset.RetentionDays} days");
            if (repository.Config.Encryption is { } encryption)
                Console.WriteLine($"  encrypted AES-256-GCM, key {encryption.Keys[0].Id}: without the password the backups cannot be read, so keep it safe");
            return ExitCodes.Ok;
        });
        return new Command("repo", "Manage backup repositories") { init, Copy(), RepoKeyCommand.Create() };
    }

    private static Command Copy()
    {
        var from = new Option<string>("--from") { Description = "Repository to copy from: a directory or s3://bucket/prefix", Required = true };
        var to = new Option<string>("--to") { Description = "Repository to bring up to date (created with the same strategy if missing): a directory or s3://bucket/prefix", Required = true };
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var passwordFile = RepositoryPassword.FileOption();
        var command = new Command("copy", "Copy the backups a second repository lacks, verifying each segment before its manifest") { from, to, json, passwordFile };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var copier = new RepositoryCopier(RepositoryPassword.Open(parse.GetValue(from)!, parse, passwordFile), parse.GetValue(to)!);
            var progress = new RestoreProgress();
            var result = await ProgressDisplay.RunAsync("copying", 0, () => progress.Bytes, () => $"{progress.Bytes / (1024 * 1024):N0} MiB",
                copier.CopyAsync(progress, cancellationToken), () => progress.Total);
            if (parse.GetValue(json))
            {
                JsonOutput.Write(result);
            }
            else
            {
                if (result.Initialized)
                    Console.WriteLine($"initialized repository {result.Destination}");
                foreach (var name in result.Copied)
                    Console.WriteLine($"copied   {name}");
                foreach (var name in result.Skipped)
                    Console.WriteLine($"skipped  {name} (already there)");
                foreach (var problem in result.Damaged)
                    Console.WriteLine($"damaged  {problem.Name}: {problem.Problem}");
                foreach (var problem in result.NotCopied)
                    Console.WriteLine($"not copied {problem.Name}: {problem.Problem}");
                Console.WriteLine($"{result.Copied.Count} copied, {result.Skipped.Count} skipped, {result.Damaged.Count} damaged, {result.NotCopied.Count} not copied");
            }

            return result.Ok ? ExitCodes.Ok : ExitCodes.IntegrityProblem;
        });
        return command;
    }
}
