using System.Text.Json;
using SpanRecovery.Sharding;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SpanRecovery.Tests.Sharding;

public sealed class YamlFromJsonTests
{
    // Strings a careless writer would let a YAML reader retype or misparse.
    [Theory]
    [InlineData("yes")]
    [InlineData("No")]
    [InlineData("null")]
    [InlineData("~")]
    [InlineData("3")]
    [InlineData("1e3")]
    [InlineData("0x1F")]
    [InlineData(".inf")]
    [InlineData("")]
    [InlineData("a: b")]
    [InlineData("- item")]
    [InlineData("--work")]
    [InlineData("#comment")]
    [InlineData("line\nbreak")]
    [InlineData("quote \" and \\ backslash")]
    [InlineData("ünïcode ✓")]
    [InlineData("  padded  ")]
    public void A_string_reads_back_as_the_same_string(string text)
    {
        var json = JsonSerializer.Serialize(new Dictionary<string, string[]> { [text] = [text] });

        var root = Parse(YamlFromJson.Convert(json));

        var (key, value) = Assert.Single(root.Children);
        Assert.Equal(text, ((YamlScalarNode)key).Value);
        var item = (YamlScalarNode)Assert.Single(((YamlSequenceNode)value).Children);
        Assert.Equal(text, item.Value);
        Assert.Equal(ScalarStyle.DoubleQuoted, item.Style);
    }

    [Fact]
    public void Numbers_booleans_and_empty_collections_keep_their_types_and_words_stay_plain()
    {
        var yaml = YamlFromJson.Convert("""{"completions": 12, "ok": true, "none": null, "env": [], "labels": {}, "policy": "Never", "api": "batch/v1"}""");

        Assert.Equal("""
            completions: 12
            ok: true
            none: null
            env: []
            labels: {}
            policy: Never
            api: batch/v1

            """.ReplaceLineEndings("\n"), yaml);
        Assert.Equal(7, Parse(yaml).Children.Count);
    }

    private static YamlMappingNode Parse(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return (YamlMappingNode)Assert.Single(stream.Documents).RootNode;
    }
}
