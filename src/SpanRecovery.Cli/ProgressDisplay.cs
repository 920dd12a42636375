using Spectre.Console;

namespace SpanRecovery.Cli;

/// <summary>
/// A progress bar on stderr for work that takes more than a moment, only when stderr is a terminal
/// (never in pipes, CI logs or tests).
/// </summary>
internal static class ProgressDisplay
{
    private static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(700);

    /// <param name="totalLater">For work that learns its total as it starts: read at each refresh instead of <paramref name="total"/>.</param>
    public static async Task<T> RunAsync<T>(string title, long total, Func<long> current, Func<string> detail, Task<T> work, Func<long>? totalLater = null)
    {
        if (Console.IsErrorRedirected || await Task.WhenAny(work, Task.Delay(Delay)) == work)
            return await work;

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        await console.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(title, maxValue: Math.Max(total, 1));
                while (!work.IsCompleted)
                {
                    if (totalLater is not null)
                        task.MaxValue = Math.Max(totalLater(), 1);
                    task.Value = Math.Min(current(), task.MaxValue);
                    task.Description = $"{title} {detail()}";
                    await Task.WhenAny(work, Task.Delay(200));
                }

                task.Value = task.MaxValue;
            });
        return await work;
    }
}
