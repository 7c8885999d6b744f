using System.CommandLine;
using CyLlm.Cli.Hub;
using CyLlm.Models;

namespace CyLlm.Cli;

/// <summary>
/// Runs the command line and turns every failure into one plain line on stderr with a non-zero exit code:
/// 1 for bad input (files, arguments), 2 for usage errors, 3 for internal errors.
/// </summary>
internal static class CliRunner
{
    public static int Invoke(RootCommand root, string[] args)
    {
        try
        {
            var parse = root.Parse(args);
            return parse.Invoke();
        }
        catch (Exception ex)
        {
            return Fail(ex);
        }
    }

    public static int Fail(Exception ex)
    {
        var (code, message) = ex switch
        {
            ModelFormatException m => (1, m.Message),
            HubException h => (1, h.Message),
            FileNotFoundException f => (1, f.Message),
            DirectoryNotFoundException d => (1, d.Message),
            UnauthorizedAccessException u => (1, u.Message),
            IOException io => (1, io.Message),
            ArgumentException a => (2, a.Message),
            InvalidOperationException i => (1, i.Message),
            NotSupportedException n => (1, n.Message),
            InsufficientMemoryException m => (1, m.Message),
            OutOfMemoryException => (1, "not enough memory for this model and context; try a smaller --context or a smaller quantization"),
            _ => (3, $"internal error ({ex.GetType().Name}): {ex.Message}"),
        };
        Console.Error.WriteLine($"error: {OneLine(message)}");
        return code;
    }

    private static string OneLine(string s) => s.ReplaceLineEndings(" ").Trim();

    /// <summary>Wraps a command action so that exceptions become one error line.</summary>
    public static Func<ParseResult, int> Guard(Func<ParseResult, int> action) => parse =>
    {
        try
        {
            return action(parse);
        }
        catch (Exception ex)
        {
            return Fail(ex);
        }
    };
}
