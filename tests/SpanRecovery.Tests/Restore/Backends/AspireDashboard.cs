using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;

namespace SpanRecovery.Tests.Restore;

/// <summary>
/// The Aspire Dashboard, a real OTLP backend: it takes OTLP/HTTP and OTLP/gRPC and answers its telemetry API
/// (<c>/api/telemetry/…</c>) with the spans it stored, as OTLP/JSON. It comes from the NuGet package
/// Aspire.Dashboard.Sdk.linux-x64 (a PackageDownload of the test project, so <c>dotnet restore</c> fetches it), is
/// self-contained (no ASP.NET Core runtime needed), and is started once for the tests that share it, on free
/// loopback ports, without authentication, and stopped at the end.
/// </summary>
public sealed class AspireDashboard : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly string _home = Path.Combine(Path.GetTempPath(), "spanrecovery-tests", $"aspire-{Guid.NewGuid():N}");

    public AspireDashboard()
    {
        var executable = typeof(AspireDashboard).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "AspireDashboard").Value!;
        if (!File.Exists(executable))
            throw new InvalidOperationException($"the Aspire Dashboard is not at {executable}: run `dotnet restore` (the test project downloads Aspire.Dashboard.Sdk.linux-x64)");
        var (api, grpc, http) = (OtlpTestReceiver.FreePort(), OtlpTestReceiver.FreePort(), OtlpTestReceiver.FreePort());
        Api = new Uri($"http://127.0.0.1:{api}");
        OtlpGrpc = new Uri($"http://127.0.0.1:{grpc}");
        OtlpHttp = new Uri($"http://127.0.0.1:{http}");
        Directory.CreateDirectory(_home);
        var start = new ProcessStartInfo(executable)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(executable)!,
            Environment =
            {
                ["ASPNETCORE_URLS"] = Api.AbsoluteUri,
                ["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"] = OtlpGrpc.AbsoluteUri,
                ["ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL"] = OtlpHttp.AbsoluteUri,
                ["DASHBOARD__FRONTEND__AUTHMODE"] = "Unsecured",
                ["DASHBOARD__OTLP__AUTHMODE"] = "Unsecured",
                ["DASHBOARD__API__ENABLED"] = "true",
                ["DASHBOARD__API__AUTHMODE"] = "Unsecured",
                // Its data-protection keys and caches go to a directory of its own, removed at the end.
                ["HOME"] = _home,
            },
        };
        _process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {executable}");
        _process.OutputDataReceived += (_, e) => Record(e.Data);
        _process.ErrorDataReceived += (_, e) => Record(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        WaitUntilListening(api, grpc, http);
    }

    /// <summary>The dashboard and its telemetry API: the URL of <c>--verify-readback aspire=URL</c>.</summary>
    public Uri Api { get; }

    public Uri OtlpGrpc { get; }

    public Uri OtlpHttp { get; }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(TimeSpan.FromSeconds(10));
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_home, recursive: true);
        }
        catch (IOException)
        {
            // best effort
        }
    }

    private void Record(string? line)
    {
        if (line is null)
            return;
        lock (_output)
            _output.AppendLine(line);
    }

    private void WaitUntilListening(params int[] ports)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < StartTimeout)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"the Aspire Dashboard exited with {_process.ExitCode}:\n{Output()}");
            if (ports.All(Accepts))
                return;
            Thread.Sleep(200);
        }

        _process.Kill(entireProcessTree: true);
        throw new TimeoutException($"the Aspire Dashboard did not listen on ports {string.Join(", ", ports)} within {StartTimeout.TotalSeconds} s:\n{Output()}");
    }

    private string Output()
    {
        lock (_output)
            return _output.ToString();
    }

    private static bool Accepts(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

[CollectionDefinition(Name)]
public sealed class AspireCollection : ICollectionFixture<AspireDashboard>
{
    public const string Name = "aspire";
}
