using System.Text;
using CyLlm.Training.Data;

namespace CyLlm.Training.Tests.Data;

/// <summary>Builds small dataset files in memory and validates them.</summary>
internal static class DataTestFiles
{
    public static DatasetValidationReport Validate(string content, TrainingRenderer? renderer = null, DatasetValidationOptions? options = null) =>
        DatasetValidator.Validate(new MemoryStream(Encoding.UTF8.GetBytes(content)), renderer, options);

    public static DatasetValidationReport Validate(byte[] content, TrainingRenderer? renderer = null, DatasetValidationOptions? options = null) =>
        DatasetValidator.Validate(new MemoryStream(content), renderer, options);

    /// <summary>Lines joined with '\n' and a final newline.</summary>
    public static string Lines(params string[] lines) => string.Join("\n", lines) + "\n";

    /// <summary>(line, field, kind) of each error, for exact comparisons.</summary>
    public static List<(long? Line, string? Field, DatasetErrorKind Kind)> Summary(DatasetValidationReport r) =>
        r.Errors.Select(e => (e.Line, e.Field, e.Kind)).ToList();

    public const string ValidChat = """{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}""";
    public const string ValidShareGpt = """{"conversations":[{"from":"human","value":"hi"},{"from":"gpt","value":"hello"}]}""";
    public const string ValidInstruction = """{"instruction":"add","input":"1 2","output":"3"}""";
    public const string ValidText = """{"text":"once upon a time"}""";
}
