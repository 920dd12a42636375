using SpanRecovery.Fuzz;
using SpanRecovery.Otlp;
using SpanRecovery.Restore;

namespace SpanRecovery.Tests.Fuzz;

/// <summary>Inputs the restore parsers' harnesses (ProtobufRecordFilter, JsonRecordFilter, OtlpJsonToProtobuf) found, fixed.</summary>
public class RestoreParserRegressionTests
{
    /// <summary>
    /// A JSON object with the same property twice: JsonObject threw an ArgumentException ("An item with the same
    /// key has already been added") on first access, out of <see cref="OtlpJsonToProtobuf.Convert"/>. Duplicate
    /// names are now rejected while parsing, as <see cref="MalformedInputException"/>.
    /// </summary>
    [Theory]
    [InlineData("""{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b173","spanId":"eee19b7ec3c1b174","startTimeUnixNano":"1","endTimeUnixNano":"2"}]}]}]}""")]
    [InlineData("""{"resourceSpans":[{"instrumentationLibrarySpans":[],"instrumentationLibrarySpans":[{"spans":[]}]}]}""")]
    [InlineData("""{"resourceSpans":[{"scopeSpans":[{"scope":{"name":"a","name":"b"},"spans":[]}]}]}""")]
    [InlineData("""{"resourceSpans":[],"resourceSpans":[]}""")]
    public void OtlpJsonToProtobuf_rejects_duplicate_property_names_as_malformed(string json)
    {
        var document = System.Text.Encoding.UTF8.GetBytes(json);

        var e = Assert.Throws<MalformedInputException>(() => OtlpJsonToProtobuf.Convert(document));

        Assert.Contains("Duplicate", e.Message, StringComparison.OrdinalIgnoreCase);
        FuzzTargets.OtlpJsonToProtobuf(document); // the harness accepts the outcome
    }
}
