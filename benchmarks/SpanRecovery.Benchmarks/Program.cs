using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using SpanRecovery.Benchmarks;

// dotnet run -c Release --project benchmarks/SpanRecovery.Benchmarks -- -f '*'              (default job)
// dotnet run -c Release --project benchmarks/SpanRecovery.Benchmarks -- -f '*' --job short  (quick numbers)
var config = DefaultConfig.Instance.AddColumn(new SpansPerSecondColumn(), new TimePerRunColumn());
BenchmarkSwitcher.FromAssembly(typeof(BenchmarkData).Assembly).Run(args, config);
