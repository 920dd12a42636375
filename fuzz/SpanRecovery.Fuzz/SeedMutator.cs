using System.Buffers.Binary;

namespace SpanRecovery.Fuzz;

/// <summary>
/// Deterministic mutations of seed inputs for in-process fuzzing (the tests and <c>smoke</c>): bit flips,
/// interesting bytes, byte insertion and deletion, truncation, splicing two seeds, corrupted length fields
/// (4-byte big-endian prefixes and protobuf varints), duplicated chunks and random bytes — applied to the raw
/// input or, half the time, to a payload inside its container (<see cref="ContainerFormats"/>), where the
/// records can also be dropped, repeated or swapped. The same seed gives the same sequence.
/// </summary>
public sealed class SeedMutator(int seed)
{
    private static readonly byte[] InterestingBytes = [0x00, 0x01, 0x02, 0x07, 0x0A, 0x12, 0x22, 0x39, 0x41, 0x7F, 0x80, 0xFF, (byte)'{', (byte)'}', (byte)'"', (byte)'\n', (byte)'\\', (byte)','];
    private static readonly uint[] InterestingLengths =
    [
        0, 1, 3, 4, 7, 8, 16, 0x7F, 0x80, 0xFFFF, (uint)FuzzTargets.MaxRecordBytes, (uint)FuzzTargets.MaxRecordBytes + 1,
        0x7FFFFFFB, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFB, 0xFFFFFFFC, 0xFFFFFFFD, 0xFFFFFFFE, 0xFFFFFFFF, // where "length + 4" overflows
    ];
    private static readonly byte[][] Prefixes = [[0x28, 0xB5, 0x2F, 0xFD], [0x1F, 0x8B], [(byte)'{'], [0x0A], [0x00, 0x00, 0x00]];

    private readonly Random _random = new(seed);

    /// <summary>One mutated input made from <paramref name="seeds"/>, and what was done to it.</summary>
    public byte[] Next(string harness, IReadOnlyList<byte[]> seeds, out string description)
    {
        var input = seeds[_random.Next(seeds.Count)];
        if (harness is nameof(FuzzTargets.JsonRecordFilter) or nameof(FuzzTargets.OtlpJsonToProtobuf) or "Manifest" or "RepositoryConfig" && _random.Next(2) == 0)
        {
            var edits = 1 + _random.Next(3);
            var what = new List<string>();
            for (var i = 0; i < edits; i++)
                input = MutateJson(input, what);
            description = string.Join(", then ", what);
            return input;
        }

        if (_random.Next(2) == 0 && ContainerFormats.TryOpen(harness, input, out var payloads))
        {
            var what = MutatePayloads(payloads, seeds);
            description = $"inside the container: {what}";
            return ContainerFormats.Close(harness, payloads);
        }

        var stacked = _random.Next(4) == 0 ? 2 + _random.Next(3) : 1;
        var steps = new List<string>();
        for (var i = 0; i < stacked; i++)
            input = MutateBytes(input, seeds, steps);
        description = string.Join(", then ", steps);
        return input;
    }

    private string MutatePayloads(List<byte[]> payloads, IReadOnlyList<byte[]> seeds)
    {
        var index = _random.Next(payloads.Count);
        switch (_random.Next(8))
        {
            case 0 when payloads.Count > 1:
                payloads.RemoveAt(index);
                return $"dropped payload {index}";
            case 1:
                payloads.Insert(index, payloads[index]);
                return $"repeated payload {index}";
            case 2 when payloads.Count > 1:
                var other = _random.Next(payloads.Count);
                (payloads[index], payloads[other]) = (payloads[other], payloads[index]);
                return $"swapped payloads {index} and {other}";
            default:
                var steps = new List<string>();
                payloads[index] = MutateBytes(payloads[index], seeds, steps);
                return $"payload {index}: {string.Join(", then ", steps)}";
        }
    }

    private byte[] MutateBytes(byte[] input, IReadOnlyList<byte[]> seeds, List<string> steps)
    {
        var bytes = new List<byte>(input);
        switch (_random.Next(10))
        {
            case 0 when bytes.Count > 0:
                var flips = 1 + _random.Next(8);
                for (var i = 0; i < flips; i++)
                {
                    var at = _random.Next(bytes.Count);
                    bytes[at] ^= (byte)(1 << _random.Next(8));
                }

                steps.Add($"flipped {flips} bits");
                break;
            case 1 when bytes.Count > 0:
                var count = 1 + _random.Next(4);
                for (var i = 0; i < count; i++)
                    bytes[_random.Next(bytes.Count)] = InterestingBytes[_random.Next(InterestingBytes.Length)];
                steps.Add($"set {count} interesting bytes");
                break;
            case 2:
                var insertAt = _random.Next(bytes.Count + 1);
                var inserted = new byte[1 + _random.Next(16)];
                if (_random.Next(2) == 0)
                    _random.NextBytes(inserted);
                else
                    Array.Fill(inserted, InterestingBytes[_random.Next(InterestingBytes.Length)]);
                bytes.InsertRange(insertAt, inserted);
                steps.Add($"inserted {inserted.Length} bytes at {insertAt}");
                break;
            case 3 when bytes.Count > 0:
                var deleteAt = _random.Next(bytes.Count);
                var deleted = 1 + _random.Next(Math.Min(64, bytes.Count - deleteAt));
                bytes.RemoveRange(deleteAt, deleted);
                steps.Add($"deleted {deleted} bytes at {deleteAt}");
                break;
            case 4 when bytes.Count > 0:
                var keep = _random.Next(bytes.Count);
                bytes.RemoveRange(keep, bytes.Count - keep);
                steps.Add($"truncated to {keep} bytes");
                break;
            case 5:
                var donor = seeds[_random.Next(seeds.Count)];
                var head = _random.Next(bytes.Count + 1);
                var tail = _random.Next(donor.Length + 1);
                bytes.RemoveRange(head, bytes.Count - head);
                bytes.AddRange(donor.AsSpan(tail).ToArray());
                steps.Add($"spliced {head} bytes with the last {donor.Length - tail} of another seed");
                break;
            case 6 when bytes.Count >= 4:
                var prefixes = LengthPrefixPositions(bytes);
                var lengthAt = _random.Next(3) != 0 && prefixes.Count > 0 ? prefixes[_random.Next(prefixes.Count)] : _random.Next(bytes.Count - 3);
                var length = _random.Next(3) == 0
                    ? (uint)Math.Max(0, bytes.Count - lengthAt - 4 + _random.Next(-2, 3))
                    : InterestingLengths[_random.Next(InterestingLengths.Length)];
                Span<byte> field = stackalloc byte[4];
                BinaryPrimitives.WriteUInt32BigEndian(field, length);
                for (var i = 0; i < 4; i++)
                    bytes[lengthAt + i] = field[i];
                steps.Add($"wrote length 0x{length:X} at {lengthAt}");
                break;
            case 7 when bytes.Count >= 2:
                CorruptVarint(bytes, steps);
                break;
            case 8 when bytes.Count > 0:
                var from = _random.Next(bytes.Count);
                var chunk = bytes.GetRange(from, 1 + _random.Next(Math.Min(256, bytes.Count - from)));
                var to = _random.Next(bytes.Count + 1);
                bytes.InsertRange(to, chunk);
                steps.Add($"copied {chunk.Count} bytes from {from} to {to}");
                break;
            default:
                var random = new byte[_random.Next(513)];
                _random.NextBytes(random);
                var prefix = _random.Next(2) == 0 ? Prefixes[_random.Next(Prefixes.Length)] : [];
                prefix.AsSpan(0, Math.Min(prefix.Length, random.Length)).CopyTo(random);
                steps.Add($"{random.Length} random bytes");
                return random;
        }

        return [.. bytes];
    }

    /// <summary>
    /// A structure-aware edit of a JSON document that mostly keeps it well-formed, so that the record parsers
    /// get past the syntax into the OTLP structure: an object inside an array (a resourceSpans, scopeSpans or
    /// span entry, an attribute…) deleted, repeated, or copied after another array element (possibly at another
    /// level), or a string value replaced by another value (IDs and times of other shapes and types).
    /// </summary>
    private byte[] MutateJson(byte[] input, List<string> steps)
    {
        var (elements, strings) = JsonLandmarks(input);
        var bytes = new List<byte>(input);
        switch (_random.Next(4))
        {
            case 0 when elements.Count > 0:
                var (start, end) = elements[_random.Next(elements.Count)];
                var (from, to) = (start, end);
                var after = SkipWhitespace(input, end);
                if (after < input.Length && input[after] == ',')
                {
                    to = after + 1;
                }
                else
                {
                    var before = start - 1;
                    while (before >= 0 && IsWhitespace(input[before]))
                        before--;
                    if (before >= 0 && input[before] == ',')
                        from = before;
                }

                bytes.RemoveRange(from, to - from);
                steps.Add($"deleted the array element at {start}");
                break;
            case 1 when elements.Count > 0:
                var (copyStart, copyEnd) = elements[_random.Next(elements.Count)];
                var (_, targetEnd) = _random.Next(2) == 0 ? (copyStart, copyEnd) : elements[_random.Next(elements.Count)];
                bytes.InsertRange(targetEnd, [(byte)',', .. input.AsSpan(copyStart, copyEnd - copyStart)]);
                steps.Add($"copied the array element at {copyStart} after the one ending at {targetEnd}");
                break;
            case 2 when strings.Count > 0:
                var (valueStart, valueEnd) = strings[_random.Next(strings.Count)];
                var replacement = JsonValues[_random.Next(JsonValues.Length)];
                bytes.RemoveRange(valueStart, valueEnd - valueStart);
                bytes.InsertRange(valueStart, System.Text.Encoding.UTF8.GetBytes(replacement));
                steps.Add($"replaced the string at {valueStart} with {replacement}");
                break;
            default:
                return MutateBytes(input, [input], steps);
        }

        return [.. bytes];
    }

    private static readonly string[] JsonValues =
    [
        "null", "\"\"", "0", "1", "-1", "1.5", "1e3", "18446744073709551615", "18446744073709551616", "\"1764000000000000000\"",
        "1764000000000000000", "\" 1\"", "\"5b8efff798038103d269b633813fc60c\"", "\"5B8EFFF798038103\"", "\"abc\"", "\"zz\"",
        "\"W47/95gDgQPSabYzgT/GDA==\"", "\"\\u0030\\u0031\"", "true", "[]", "{}", "[1]", "\"SPAN_KIND_SERVER\"",
    ];

    /// <summary>The objects that are array elements ([start, end) each) and the string values (not property names) of a JSON text.</summary>
    private static (List<(int Start, int End)> Elements, List<(int Start, int End)> Strings) JsonLandmarks(byte[] json)
    {
        var elements = new List<(int, int)>();
        var strings = new List<(int, int)>();
        var open = new Stack<(int Start, bool Element)>();
        var previous = (byte)0;
        for (var i = 0; i < json.Length; i++)
        {
            var c = json[i];
            if (c == '"')
            {
                var start = i;
                for (i++; i < json.Length && json[i] != '"'; i++)
                {
                    if (json[i] == '\\')
                        i++;
                }

                var next = SkipWhitespace(json, i + 1);
                if (i < json.Length && (next >= json.Length || json[next] != ':'))
                    strings.Add((start, i + 1));
                previous = (byte)'"';
                continue;
            }

            if (c == '{' || c == '[')
            {
                open.Push((i, c == '{' && previous is (byte)'[' or (byte)','));
            }
            else if ((c == '}' || c == ']') && open.Count > 0)
            {
                var (start, element) = open.Pop();
                if (element && c == '}')
                    elements.Add((start, i + 1));
            }

            if (!IsWhitespace(c))
                previous = c;
        }

        return (elements, strings);
    }

    private static int SkipWhitespace(byte[] json, int at)
    {
        while (at < json.Length && IsWhitespace(json[at]))
            at++;
        return at;
    }

    private static bool IsWhitespace(byte c) => c is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t';

    /// <summary>Where the 4-byte length prefixes are, following the chain from the start while it holds.</summary>
    private static List<int> LengthPrefixPositions(List<byte> bytes)
    {
        var positions = new List<int>();
        for (long at = 0; at + 4 <= bytes.Count;)
        {
            positions.Add((int)at);
            at += 4L + (((uint)bytes[(int)at] << 24) | ((uint)bytes[(int)at + 1] << 16) | ((uint)bytes[(int)at + 2] << 8) | bytes[(int)at + 3]);
        }

        return positions;
    }

    /// <summary>
    /// Finds a protobuf length-delimited tag (wire type 2) and replaces the varint after it: off by one, zero,
    /// huge, or an over-long 10/11-byte varint.
    /// </summary>
    private void CorruptVarint(List<byte> bytes, List<string> steps)
    {
        var start = _random.Next(bytes.Count - 1);
        var tagAt = -1;
        for (var i = start; i < bytes.Count - 1 && tagAt < 0; i++)
        {
            if ((bytes[i] & 0x07) == 2 && bytes[i] >= 0x0A)
                tagAt = i;
        }

        if (tagAt < 0)
        {
            bytes[start] = 0x0A;
            tagAt = start;
        }

        var at = tagAt + 1;
        var end = at;
        while (end < bytes.Count && (bytes[end] & 0x80) != 0 && end - at < 10)
            end++;
        end = Math.Min(end + 1, bytes.Count);
        var old = 0L;
        for (var i = end - 1; i >= at; i--)
            old = (old << 7) | (bytes[i] & 0x7FL);

        byte[] varint = _random.Next(6) switch
        {
            0 => Varint((ulong)Math.Max(0, old - 1)),
            1 => Varint((ulong)old + 1),
            2 => Varint(0),
            3 => Varint(0xFFFFFFFFUL + (ulong)_random.Next(2)),
            4 => [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01],
            _ => [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00],
        };
        bytes.RemoveRange(at, end - at);
        bytes.InsertRange(at, varint);
        steps.Add($"replaced the varint after the tag at {tagAt} ({old}) with {Convert.ToHexString(varint)}");
    }

    private static byte[] Varint(ulong value)
    {
        var result = new List<byte>();
        do
        {
            var b = (byte)(value & 0x7F);
            value >>= 7;
            result.Add(value == 0 ? b : (byte)(b | 0x80));
        }
        while (value != 0);
        return [.. result];
    }
}
