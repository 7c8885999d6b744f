using System.CommandLine;
using System.CommandLine.Parsing;
using CyLlm.Gateway;
using CyLlm.Gateway.Configuration;

namespace CyLlm.Cli.Commands;

/// <summary>
/// `cyllm serve`'s settings layers: the settings file (--config, else appsettings.json in the data folder), CYLLM_
/// environment variables, then only the flags the user typed (a flag's default never hides a file or env value).
/// Prints every problem, one line each, and returns null when there is any.
/// </summary>
internal static class ServeSettings
{
    /// <param name="models">The repeated --model values typed (empty: none); they replace a configured Gateway:Models.</param>
    public static GatewayOptions? Load(ParseResult parse, GatewayOptions fromFlags, Option<string?> config, IReadOnlyList<(Option Option, string Key)> flags, IReadOnlyList<string>? models = null)
    {
        var typed = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < (models?.Count ?? 0); i++)
        {
            typed[$"{GatewayConfiguration.ModelsKey}:{i}"] = models![i];
        }

        foreach (var (option, key) in flags)
        {
            if (parse.GetResult(option) is OptionResult { Implicit: false } r)
            {
                // A bare switch (--no-auth) has no token: it means true.
                typed[key] = r.Tokens.Count > 0 ? r.Tokens[^1].Value : "true";
            }
        }

        var result = GatewayConfiguration.Load(fromFlags, parse.GetValue(config), typed);
        if (result.Errors.Count == 0)
        {
            return result.Options;
        }

        Console.Error.WriteLine($"error: the configuration has {result.Errors.Count} problem(s) (read from {string.Join(", ", result.Sources)}):");
        foreach (string e in result.Errors)
        {
            Console.Error.WriteLine("  " + e);
        }

        return null;
    }
}
