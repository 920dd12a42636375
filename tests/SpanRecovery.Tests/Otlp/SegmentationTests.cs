using FsCheck;
using FsCheck.Xunit;

namespace SpanRecovery.Tests.OtlpReading;

/// <summary>
/// How the bytes arrive must not matter: whole, in 1-byte segments or in random segments, the reader reports
/// exactly the same spans (IDs, times, content hash, record offset) and problems, in the same order.
/// </summary>
public class SegmentationTests
{
    [Theory]
    [MemberData(nameof(SegmentationCases.Names), MemberType = typeof(SegmentationCases))]
    public async Task One_byte_segments_give_the_same_spans_and_problems_as_one_segment(string name)
    {
        var input = SegmentationCases.Named(name);
        var whole = await SegmentedInput.ReadWholeAsync(input.Bytes, input.Options);

        var split = await SegmentedInput.ReadOneByteSegmentsAsync(input.Bytes, input.Options);

        AssertSameEvents(whole, split, name);
    }

    [Theory]
    [MemberData(nameof(SegmentationCases.Names), MemberType = typeof(SegmentationCases))]
    public async Task Whole_input_reads_as_expected(string name)
    {
        // Guards the cases themselves: the good ones have spans and no problem, the bad ones a problem.
        var input = SegmentationCases.Named(name);

        var whole = await SegmentedInput.ReadWholeAsync(input.Bytes, input.Options);

        if (input.Malformed)
            Assert.NotEmpty(whole.Problems);
        else
            Assert.Empty(whole.Problems);
        Assert.Equal(input.Bytes.Length == 0 || name == "unknown format", !whole.Spans.Any());
    }

    [Property(MaxTest = 20)]
    public async Task Random_segments_give_the_same_spans_and_problems_as_one_segment(NonEmptyArray<PositiveInt> sizes, bool large)
    {
        var chunks = sizes.Get.Select(s => large ? s.Get * 997 : s.Get).ToArray();
        foreach (var input in SegmentationCases.All)
        {
            var whole = await SegmentedInput.ReadWholeAsync(input.Bytes, input.Options);

            var split = await SegmentedInput.ReadSegmentedAsync(input.Bytes, chunks, input.Options);

            AssertSameEvents(whole, split, $"{input.Name}, chunks [{string.Join(", ", chunks)}]");
        }
    }

    private static void AssertSameEvents(RecordingSink expected, RecordingSink actual, string what)
    {
        if (!expected.Events.SequenceEqual(actual.Events))
            Assert.Fail($"{what}: segmented reading differs.\n--- whole:\n{expected.Describe()}\n--- segmented:\n{actual.Describe()}");
    }
}
