using System.CommandLine;
using SpanRecovery.Cli;
using SpanRecovery.Cli.Commands;

var root = new RootCommand("SpanRecovery: validate, back up and restore OpenTelemetry trace archives.")
{
    ValidateCommand.Create(),
    GenerateCommand.Create(),
    DemoCommand.Create(),
    RepoCommand.Create(),
    BackupCommand.Create(),
    BackupsCommand.Create(),
    RestoreCommand.Create(),
    ShardCommand.Create(),
    RepairCommand.Create(),
};
return await CommandLineHost.RunAsync(root, args);
