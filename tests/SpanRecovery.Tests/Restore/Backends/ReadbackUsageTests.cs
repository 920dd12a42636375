using SpanRecovery.Tests.CliProcess;
using SpanRecovery.Tests.RepositoryBackups;

namespace SpanRecovery.Tests.Restore;

/// <summary>
/// <c>restore --protocol</c>, <c>--verify-readback</c> and their companions given wrong: usage errors (exit 2), before
/// anything is sent, that never echo a header value.
/// </summary>
public sealed class ReadbackUsageTests : IDisposable
{
    private const string Secret = "Bearer do-not-print-me";

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("the-target-dir", "need a live backend", "--protocol", "grpc")]
    [InlineData("the-target-dir", "need a live backend", "--verify-readback", "aspire=http://127.0.0.1:9")]
    [InlineData("http://127.0.0.1:9", "http/json", "--protocol", "http/json")]
    [InlineData("http://127.0.0.1:9", "--verify-readback 'zipkin=", "--verify-readback", "zipkin=http://127.0.0.1:9")]
    [InlineData("http://127.0.0.1:9", "--verify-readback 'aspire'", "--verify-readback", "aspire")]
    [InlineData("http://127.0.0.1:9", "--verify-readback '1=", "--verify-readback", "1=http://127.0.0.1:9")]
    [InlineData("http://127.0.0.1:9", "--verify-readback 'tempo=ftp:", "--verify-readback", "tempo=ftp://127.0.0.1:9")]
    [InlineData("http://127.0.0.1:9", "--readback-sample needs --verify-readback", "--readback-sample", "3")]
    [InlineData("http://127.0.0.1:9", "--readback-sample must be at least 1", "--readback-sample", "0", "--verify-readback", "aspire=http://127.0.0.1:9")]
    [InlineData("http://127.0.0.1:9", "soon", "--readback-timeout", "soon", "--verify-readback", "aspire=http://127.0.0.1:9")]
    [InlineData("http://127.0.0.1:9", "Metadata", "--protocol", "grpc", "--header", "Bad!Name: " + Secret)]
    public async Task Wrong_values_are_usage_errors(string target, string expected, params string[] options)
    {
        var (repo, backup) = await IncidentTraces.BackUpAsync(_dir, RepositoryTestKit.Records(1, 3));
        if (!target.StartsWith("http", StringComparison.Ordinal))
            target = _dir.File(target);

        var restore = await Spanrecovery.RunAsync(["restore", "--repo", repo, "--backup", backup, "--target", target, .. options]);

        restore.AssertClean(2);
        Assert.Contains(expected, restore.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, restore.StdErr + restore.StdOut, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_dir.File("the-target-dir")));
        Assert.False(Directory.Exists(Path.Combine(repo, "restore-journals")) && Directory.EnumerateFiles(Path.Combine(repo, "restore-journals")).Any());
    }
}
