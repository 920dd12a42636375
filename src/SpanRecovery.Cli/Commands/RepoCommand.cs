using System.CommandLine;
using SpanRecovery.Repository;

namespace SpanRecovery.Cli.Commands;

/// <summary><c>spanrecovery repo init REPO [--strategy 3-2-1]</c>: creates a backup repository (DESIGN §5).</summary>
internal static class RepoCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("repo") { Description = "Directory of the new repository (created if missing)" };
        var strategy = new Option<string>("--strategy") { Description = "Backup strategy preset", DefaultValueFactory = _ => BackupStrategy.ThreeTwoOne.Name };
        strategy.AcceptOnlyFromAmong([.. BackupStrategy.Presets.Select(p => p.Name)]);
        var init = new Command("init", "Create a backup repository") { path, strategy };
        init.SetAction(parse =>
        {
            BackupStrategy.TryGetPreset(parse.GetValue(strategy)!, out var preset);
            var repository = BackupRepository.Init(parse.GetValue(path)!, preset);
            Console.WriteLine($"initialized repository {repository.Path}");
            Console.WriteLine($"  strategy  {preset.Name}: {preset.Type.Name()} backups every {preset.Interval.TotalHours:0.#} h, kept {preset.RetentionDays} days");
            return ExitCodes.Ok;
        });
        return new Command("repo", "Manage backup repositories") { init };
    }
}
