using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace SpanRecovery.Tests.Sharding;

/// <summary>
/// A real S3-compatible server for the tests: s3rver (npm, installed into tests/tools by <c>npm ci</c> on first use), started
/// once per test run on 127.0.0.1 with one bucket. The AWS variables that point the product at it are set in
/// this process, and <see cref="Environment"/> hands the same to the CLI processes a test starts.
/// </summary>
public sealed class S3TestServer : IDisposable
{
    public const string Bucket = "spanrecovery-test";

    private readonly Process _process;
    private readonly TextWriter _log;
    private readonly string _data = Path.Combine(Path.GetTempPath(), "spanrecovery-tests", $"s3rver-{Guid.NewGuid():N}");

    public S3TestServer()
    {
        var script = FindScript();
        var port = FreePort();
        Directory.CreateDirectory(_data);
        var start = new ProcessStartInfo("node") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { script, "--directory", _data, "--address", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--silent", "--configure-bucket", Bucket })
            start.ArgumentList.Add(arg);
        _process = Process.Start(start) ?? throw new InvalidOperationException("could not start node");
        // Drained, so a chatty server never blocks on a full pipe; what it says goes to a log beside its data.
        _log = TextWriter.Synchronized(File.CreateText(_data + ".log"));
        _process.OutputDataReceived += (_, line) => _log.WriteLine(line.Data);
        _process.ErrorDataReceived += (_, line) =>
        {
            _log.WriteLine(line.Data);
            _log.Flush();
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Endpoint = $"http://127.0.0.1:{port}";
        WaitUntilListening(port);
        Environment = new Dictionary<string, string>
        {
            ["AWS_ENDPOINT_URL"] = Endpoint,
            ["AWS_ACCESS_KEY_ID"] = "S3RVER",
            ["AWS_SECRET_ACCESS_KEY"] = "S3RVER",
            ["AWS_REGION"] = "us-east-1",
            ["AWS_REQUEST_CHECKSUM_CALCULATION"] = "when_required",
            ["AWS_RESPONSE_CHECKSUM_VALIDATION"] = "when_required",
        };
        foreach (var (name, value) in Environment)
            System.Environment.SetEnvironmentVariable(name, value);
    }

    public string Endpoint { get; }

    public IReadOnlyDictionary<string, string> Environment { get; }

    /// <summary>
    /// The file in which s3rver keeps the bytes of the object <c>s3://bucket/key</c>, for tests that damage an
    /// object at rest (beneath the store, as a failing disk would).
    /// </summary>
    public string ObjectFile(string uri)
    {
        var (bucket, key) = SpanRecovery.Storage.S3ObjectStore.Parse(uri);
        return Path.Combine(_data, bucket, key.TrimEnd('/') + "._S3rver_object");
    }

    /// <summary>The directory in which s3rver keeps the objects under the prefix <c>s3://bucket/prefix</c>.</summary>
    public string PrefixDirectory(string uri)
    {
        var (bucket, key) = SpanRecovery.Storage.S3ObjectStore.Parse(uri);
        return Path.Combine(_data, bucket, key.Trim('/'));
    }

    /// <summary>A fresh prefix in the bucket, as an <c>s3://</c> location.</summary>
    public static string NewLocation(string name) => $"s3://{Bucket}/{name}-{Guid.NewGuid():N}";

    public void Dispose()
    {
        var diedEarly = _process.HasExited;
        if (!diedEarly)
            _process.Kill(entireProcessTree: true);
        _process.WaitForExit(); // its output is all read, then the log can close
        _process.Dispose();
        _log.Dispose();
        try
        {
            Directory.Delete(_data, recursive: true);
            if (!diedEarly)
                File.Delete(_data + ".log"); // kept when the server died under a test: it says why
        }
        catch (IOException)
        {
            // best effort
        }
    }

    /// <summary>s3rver's entry script; installed from tests/tools/package-lock.json on first use, so the README's one test command works on a fresh clone.</summary>
    private static string FindScript()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var tools = Path.Combine(directory.FullName, "tests", "tools");
            if (!File.Exists(Path.Combine(tools, "package.json")))
                continue;
            var script = Path.Combine(tools, "node_modules", "s3rver", "bin", "s3rver.js");
            if (!File.Exists(script))
                Install(tools);
            return script;
        }

        throw new InvalidOperationException("tests/tools/package.json not found above " + AppContext.BaseDirectory);
    }

    private static void Install(string tools)
    {
        var start = new ProcessStartInfo("npm") { WorkingDirectory = tools, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "ci", "--no-audit", "--no-fund" })
            start.ArgumentList.Add(arg);
        using var npm = Process.Start(start) ?? throw new InvalidOperationException("npm (Node.js) is needed to install s3rver for the S3 tests");
        var errors = npm.StandardError.ReadToEndAsync();
        npm.StandardOutput.ReadToEnd();
        if (!npm.WaitForExit(TimeSpan.FromMinutes(5)) || npm.ExitCode != 0)
            throw new InvalidOperationException($"npm ci in {tools} failed: {errors.Result}");
    }

    private void WaitUntilListening(int port)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"s3rver exited: see {_data}.log");
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(100);
            }
        }

        throw new TimeoutException("s3rver did not start listening within 30 s");
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}

[CollectionDefinition(Name)]
public sealed class S3Collection : ICollectionFixture<S3TestServer>
{
    public const string Name = "s3";
}
