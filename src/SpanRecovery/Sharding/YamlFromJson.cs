using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace SpanRecovery.Sharding;

/// <summary>
/// Writes a JSON document as block-style YAML, for manifests people read before <c>kubectl apply</c>: the
/// manifests are built as JSON nodes (the native executable cannot use a reflection-based YAML serializer),
/// and JSON maps onto YAML exactly. A string is written plain only when it cannot be read as
/// anything else (a word like <c>Never</c> or <c>batch/v1</c>); any other is double-quoted, whose escapes are
/// JSON's, so no value can be misread as a number, a boolean or YAML syntax.
/// </summary>
internal static partial class YamlFromJson
{
    /// <summary>Words YAML 1.1 readers (still common) take as booleans or null when unquoted.</summary>
    private static readonly HashSet<string> ReservedWords = new(StringComparer.OrdinalIgnoreCase) { "true", "false", "yes", "no", "on", "off", "y", "n", "null" };

    public static string Convert(string json)
    {
        using var document = JsonDocument.Parse(json);
        var yaml = new StringBuilder();
        WriteBlock(yaml, document.RootElement, indent: 0);
        return yaml.ToString();
    }

    private static void WriteBlock(StringBuilder yaml, JsonElement value, int indent)
    {
        var pad = new string(' ', indent);
        if (value.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in value.EnumerateObject())
            {
                yaml.Append(pad).Append(Scalar(property.Name)).Append(':');
                WriteValue(yaml, property.Value, indent + 2);
            }
        }
        else
        {
            foreach (var item in value.EnumerateArray())
            {
                yaml.Append(pad).Append('-');
                WriteValue(yaml, item, indent + 2);
            }
        }
    }

    /// <summary>Writes what follows "key:" or "-": a scalar or empty collection on the same line, else a nested block.</summary>
    private static void WriteValue(StringBuilder yaml, JsonElement value, int indent)
    {
        var nested = value.ValueKind switch
        {
            JsonValueKind.Object => value.EnumerateObject().Any(),
            JsonValueKind.Array => value.GetArrayLength() > 0,
            _ => false,
        };
        if (nested)
        {
            yaml.Append('\n');
            WriteBlock(yaml, value, indent);
            return;
        }

        yaml.Append(' ').Append(value.ValueKind switch
        {
            JsonValueKind.Object => "{}",
            JsonValueKind.Array => "[]",
            JsonValueKind.String => Scalar(value.GetString()!),
            _ => value.GetRawText(),
        }).Append('\n');
    }

    private static string Scalar(string text) =>
        PlainScalar().IsMatch(text) && !ReservedWords.Contains(text) ? text : "\"" + JsonEncodedText.Encode(text).ToString() + "\"";

    [GeneratedRegex("^[A-Za-z_/][A-Za-z0-9._/-]*$")]
    private static partial Regex PlainScalar();
}
