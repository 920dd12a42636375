using System.Text;
using FsCheck;
using FsCheck.Xunit;
using SpanRecovery.Repository;

namespace SpanRecovery.Tests.RepositoryBackups;

/// <summary>
/// <see cref="SourcePath"/>: any bytes a name can hold come back exactly, UTF-8 names are themselves, and a
/// manifest's text that no name produces — an escaped '/', '.', NUL or valid UTF-8 — is refused.
/// </summary>
public sealed class SourcePathTests
{
    [Property(MaxTest = 500)]
    public void Any_bytes_round_trip(byte[] bytes)
    {
        var name = bytes.Where(b => b != 0).ToArray(); // no file name holds a NUL
        var text = SourcePath.FromBytes(name);

        Assert.Equal([.. name, 0], SourcePath.ToSystemBytes(text));
        Assert.True(SourcePath.IsCanonical(text));
    }

    [Property(MaxTest = 200)]
    public void Utf8_names_are_themselves(NonEmptyString name)
    {
        var text = name.Get.Replace("\0", "", StringComparison.Ordinal);
        if (text.Any(char.IsSurrogate))
            return;

        Assert.Equal(text, SourcePath.FromBytes(Encoding.UTF8.GetBytes(text)));
        Assert.False(SourcePath.HasRawBytes(text));
    }

    [Fact]
    public void Invalid_bytes_are_escaped_and_displayed_as_hex()
    {
        var text = SourcePath.FromBytes([(byte)'a', 0xFF, 0xC3, (byte)'b']);

        Assert.Equal("a\0FF\0C3b", text);
        Assert.Equal(@"a\xFF\xC3b", SourcePath.Display(text));
    }

    [Theory]
    [InlineData("a\u00002F..")] // an escaped '/': would climb out once decoded
    [InlineData("a\u00002E")] // an escaped '.'
    [InlineData("a\u000000")] // an escaped NUL
    [InlineData("\u0000C3\u0000A9")] // valid UTF-8 ("é") spelled as escapes: a second name for one file
    [InlineData("a\u0000ff")] // lower case: not the form names are written in
    [InlineData("a\u0000F")]
    [InlineData("a\u0000")]
    public void Text_that_no_name_produces_is_refused(string text)
    {
        Assert.False(SourcePath.IsCanonical(text));
        Assert.False(RepositoryNames.IsRelativePath(text));
    }
}
