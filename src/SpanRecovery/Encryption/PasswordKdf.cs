using System.Text;
using Konscious.Security.Cryptography;

namespace SpanRecovery.Encryption;

/// <summary>
/// Argon2id costs of a key slot. <see cref="Default"/> follows RFC 9106's second recommendation (64 MiB, 3 passes,
/// 4 lanes): about a third of a second per unlock on a small machine, paid once per command. A repository made
/// with lower costs (the tests make them so) keeps them in <c>repo.json</c>, and they are honoured.
/// </summary>
internal sealed record PasswordKdf(int MemoryKiB, int Iterations, int Parallelism)
{
    public const string Argon2id = "argon2id";
    public const int SaltBytes = 16;

    public static PasswordKdf Default { get; } = new(64 * 1024, 3, 4);

    /// <summary>
    /// What a <c>repo.json</c> may ask for: a hostile one must not make every command allocate gigabytes or
    /// spin for hours, and Argon2 itself needs 8 KiB per lane.
    /// </summary>
    public string? Problem =>
        Parallelism is < 1 or > 16 ? $"parallelism {Parallelism} is not 1 to 16"
        : MemoryKiB < 8 * Parallelism || MemoryKiB > 1024 * 1024 ? $"memory {MemoryKiB} KiB is not {8 * Parallelism} KiB to 1 GiB"
        : Iterations is < 1 or > 64 ? $"iterations {Iterations} is not 1 to 64"
        : null;

    public static PasswordKdf Of(KeySlot slot) => new(slot.MemoryKiB, slot.Iterations, slot.Parallelism);

    /// <summary>The 256-bit key that wraps the master key.</summary>
    public byte[] DeriveKey(string password, byte[] salt)
    {
        using var argon2 = new Argon2id(Encoding.UTF8.GetBytes(password))
        {
            Salt = salt,
            MemorySize = MemoryKiB,
            Iterations = Iterations,
            DegreeOfParallelism = Parallelism,
        };
        return argon2.GetBytes(32);
    }
}
