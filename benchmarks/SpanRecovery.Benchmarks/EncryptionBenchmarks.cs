using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using SpanRecovery.Encryption;
using SpanRecovery.Otlp;

namespace SpanRecovery.Benchmarks;

/// <summary>
/// The encryption of a repository object alone, per span: the backup source's bytes (≈ 55 MB, 200,192 spans)
/// sealed into chunked AES-256-GCM and opened again, in memory, next to a plain copy of the same bytes. The
/// bytes a backup encrypts are compressed and so fewer; this is the upper bound of what encryption adds.
/// </summary>
[MemoryDiagnoser]
public class EncryptionBenchmarks
{
    private const string ObjectPath = "backups/20261124-101500F/0001.seg.zst";

    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private byte[] _plaintext = [];
    private byte[] _sealed = [];
    private byte[] _buffer = [];

    [GlobalSetup]
    public void Setup()
    {
        _plaintext = LengthPrefixedRecord.Frame(BenchmarkData.Records(ValidatorBenchmarks.Records));
        _buffer = new byte[1024 * 1024];
        using var stored = new MemoryStream();
        Seal(stored);
        _sealed = stored.ToArray();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = BackupBenchmarks.Spans)]
    public long Copy()
    {
        using var output = new MemoryStream(_plaintext.Length);
        output.Write(_plaintext);
        return output.Length;
    }

    [Benchmark(OperationsPerInvoke = BackupBenchmarks.Spans)]
    public long Seal()
    {
        using var output = new MemoryStream(_sealed.Length);
        Seal(output);
        return output.Length;
    }

    [Benchmark(OperationsPerInvoke = BackupBenchmarks.Spans)]
    public long Open()
    {
        using var opening = new OpeningStream(new MemoryStream(_sealed), _key, ObjectPath);
        long total = 0;
        int read;
        while ((read = opening.Read(_buffer)) > 0)
            total += read;
        return total;
    }

    private void Seal(Stream output)
    {
        using var sealing = new SealingStream(output, _key, ObjectPath, leaveOpen: true);
        for (var offset = 0; offset < _plaintext.Length; offset += _buffer.Length)
            sealing.Write(_plaintext.AsSpan(offset, Math.Min(_buffer.Length, _plaintext.Length - offset)));
        sealing.FlushFinalChunk();
    }
}
