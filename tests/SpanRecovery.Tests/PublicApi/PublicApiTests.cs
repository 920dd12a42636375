using PublicApiGenerator;
using SpanRecovery.Validation;

namespace SpanRecovery.Tests.PublicApi;

/// <summary>
/// The library's public API is a promise to other programs, so a change to it must be a deliberate act: the
/// API as it is compiled is compared with the approved text beside this test. To accept a change, copy the
/// .received.txt file written next to it over the .approved.txt file, and let review see the difference.
/// </summary>
public sealed class PublicApiTests
{
    [Fact]
    public void The_public_api_is_the_approved_one()
    {
        var approvedPath = Path.Combine(TestPaths.RepositoryRoot, "tests", "SpanRecovery.Tests", "PublicApi", "SpanRecovery.Core.approved.txt");
        var receivedPath = Path.ChangeExtension(approvedPath, null).Replace(".approved", ".received", StringComparison.Ordinal) + ".txt";
        var api = typeof(DataIntegrityValidator).Assembly.GeneratePublicApi(new ApiGeneratorOptions { IncludeAssemblyAttributes = false });
        var approved = File.Exists(approvedPath) ? File.ReadAllText(approvedPath) : "";

        if (Normalize(api) != Normalize(approved))
        {
            File.WriteAllText(receivedPath, api);
            Assert.Fail($"The public API changed. If that is intended, copy {receivedPath} over {approvedPath}.");
        }

        File.Delete(receivedPath);
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal).Trim();
}
