using SpanRecovery.Generation;
using SpanRecovery.Otlp;
using SpanRecovery.Repository;
using SpanRecovery.Validation;

namespace SpanRecovery.Tests.RepositoryBackups;

/// <summary>
/// docs/scale-out.md: a backup validates what it captures within the same memory limit as <c>validate</c>; its span
/// table moves into partition files when it outgrows the limit, and the manifest records the same findings.
/// </summary>
public sealed class BoundedBackupValidationTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_backup_over_the_memory_limit_records_the_findings_of_an_unbounded_one()
    {
        var source = _dir.File("source");
        ArchiveGenerator.Generate(source, new GeneratorOptions(30_000, Seed: 5, Files: 3, DefectRate: 0.05, Compression: InputCompression.ZstdRecord));

        async Task<ValidationSummary> BackUpAsync(string name, ValidationOptions? options)
        {
            var repository = BackupRepository.Init(_dir.File(name), BackupStrategy.ThreeTwoOne);
            return (await new BackupManager(repository, validationOptions: options).CreateBackupAsync(source)).Manifest.Validation;
        }

        var unbounded = await BackUpAsync("unbounded", null);
        // Room for ~5,000 spans: the table moves to partition files a sixth of the way in.
        var bounded = await BackUpAsync("bounded", new ValidationOptions { MemoryLimitBytes = TraceTables.TableBytesPerSpan * 5_000L });

        Assert.True(unbounded.Errors > 0 && unbounded.Warnings > 0);
        Assert.Equal(unbounded with { Rules = null! }, bounded with { Rules = null! });
        Assert.Equal(unbounded.Rules.OrderBy(r => r.Key), bounded.Rules.OrderBy(r => r.Key));
    }
}
