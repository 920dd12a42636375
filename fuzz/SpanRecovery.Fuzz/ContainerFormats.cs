using System.Buffers.Binary;
using System.IO.Compression;
using SpanRecovery.Otlp;
using ZstdSharp;

namespace SpanRecovery.Fuzz;

/// <summary>
/// The containers the harness inputs come in, opened and closed again, so that a mutation can land inside the
/// records (the protobuf or JSON) instead of only breaking the compression or the framing around them.
/// </summary>
public static class ContainerFormats
{
    /// <summary>The payloads inside an input of <paramref name="harness"/>'s format; false when it has no container or does not parse.</summary>
    public static bool TryOpen(string harness, byte[] input, out List<byte[]> payloads)
    {
        payloads = [];
        try
        {
            switch (harness)
            {
                case nameof(FuzzTargets.LengthPrefixed):
                    return TrySplitRecords(input, payloads);
                case nameof(FuzzTargets.ZstdRecord):
                    if (!TrySplitRecords(input, payloads))
                        return false;
                    using (var decompressor = new Decompressor())
                    {
                        for (var i = 0; i < payloads.Count; i++)
                            payloads[i] = decompressor.Unwrap(payloads[i]).ToArray();
                    }

                    return true;
                case nameof(FuzzTargets.Zstd):
                    payloads.Add(Inflate(new DecompressionStream(new MemoryStream(input))));
                    return true;
                case nameof(FuzzTargets.Gzip):
                    payloads.Add(Inflate(new GZipStream(new MemoryStream(input), CompressionMode.Decompress)));
                    return true;
                default:
                    return false;
            }
        }
        catch (Exception e) when (e is ZstdException or InvalidDataException or EndOfStreamException)
        {
            return false;
        }
    }

    /// <summary>Puts payloads back into <paramref name="harness"/>'s container; whole-file formats get one frame/member per payload.</summary>
    public static byte[] Close(string harness, IReadOnlyList<byte[]> payloads)
    {
        switch (harness)
        {
            case nameof(FuzzTargets.LengthPrefixed):
                return LengthPrefixedRecord.Frame(payloads);
            case nameof(FuzzTargets.ZstdRecord):
                using (var compressor = new Compressor(1))
                    return LengthPrefixedRecord.Frame(payloads.Select(p => compressor.Wrap(p).ToArray()).ToList());
            case nameof(FuzzTargets.Zstd):
                using (var compressor = new Compressor(1))
                    return payloads.SelectMany(p => compressor.Wrap(p).ToArray()).ToArray();
            case nameof(FuzzTargets.Gzip):
                return payloads.SelectMany(Gzip).ToArray();
            default:
                throw new ArgumentException($"{harness} has no container", nameof(harness));
        }
    }

    public static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write(bytes);
        return output.ToArray();
    }

    public static byte[] Zstd(byte[] bytes, int level = 3)
    {
        using var compressor = new Compressor(level);
        return compressor.Wrap(bytes).ToArray();
    }

    private static bool TrySplitRecords(byte[] input, List<byte[]> records)
    {
        var at = 0;
        while (at + 4 <= input.Length)
        {
            var length = BinaryPrimitives.ReadUInt32BigEndian(input.AsSpan(at));
            if (length > (uint)(input.Length - at - 4))
                return false;
            records.Add(input.AsSpan(at + 4, (int)length).ToArray());
            at += 4 + (int)length;
        }

        return at == input.Length && records.Count > 0;
    }

    private static byte[] Inflate(Stream stream)
    {
        using (stream)
        {
            using var output = new MemoryStream();
            stream.CopyTo(output);
            return output.ToArray();
        }
    }
}
