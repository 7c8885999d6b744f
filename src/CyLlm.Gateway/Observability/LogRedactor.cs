using System.Text.RegularExpressions;

namespace CyLlm.Gateway.Observability;

/// <summary>
/// Scrubs secrets from log text: API-key-shaped tokens (<c>sk-…</c>), Bearer credentials and <c>api-key=</c> /
/// <c>Authorization:</c> values anywhere in a message, plus whole values of sensitive structured fields
/// (credentials always; prompt and completion text unless <see cref="LogContent"/>).
/// </summary>
public sealed partial class LogRedactor(bool logContent)
{
    public const string Mask = "[redacted]";

    /// <summary>Field names whose values are always replaced.</summary>
    private static readonly HashSet<string> SecretFields = new(StringComparer.OrdinalIgnoreCase)
    {
        "Authorization", "ApiKey", "Api-Key", "Api_Key", "Key", "Secret", "Password", "Token", "BearerToken",
    };

    /// <summary>Field names holding user text, replaced unless content logging is on.</summary>
    private static readonly HashSet<string> ContentFields = new(StringComparer.OrdinalIgnoreCase)
    {
        "Prompt", "Completion", "Content", "Messages", "Text", "Input", "Output",
    };

    public bool LogContent { get; } = logContent;

    public static LogRedactor Default { get; } = new(false);

    [GeneratedRegex(@"sk-[A-Za-z0-9_\-]{4,}", RegexOptions.CultureInvariant)]
    private static partial Regex KeyToken();

    [GeneratedRegex(@"\bBearer\s+[^\s""',;]+", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex BearerValue();

    [GeneratedRegex(@"\b(x-api-key|api[-_]?key|authorization)([""']?\s*[:=]\s*[""']?)(?!Bearer\b)[^\s""',;&]+", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex NamedValue();

    /// <summary><paramref name="text"/> with every secret-shaped part masked (the same instance when clean).</summary>
    public string Redact(string text)
    {
        if (text.Length < 7)
        {
            return text;
        }

        // Fast path: most lines have none of the markers.
        bool key = text.Contains("sk-", StringComparison.Ordinal);
        bool bearer = text.Contains("bearer", StringComparison.OrdinalIgnoreCase);
        bool named = text.Contains("key", StringComparison.OrdinalIgnoreCase) || text.Contains("authorization", StringComparison.OrdinalIgnoreCase);
        if (key)
        {
            text = KeyToken().Replace(text, "sk-" + Mask);
        }

        if (bearer)
        {
            text = BearerValue().Replace(text, "Bearer " + Mask);
        }

        if (named)
        {
            text = NamedValue().Replace(text, m => m.Groups[1].Value + m.Groups[2].Value + Mask);
        }

        return text;
    }

    /// <summary>True when <paramref name="field"/>'s whole value must be masked.</summary>
    public bool IsSensitiveField(string field) =>
        SecretFields.Contains(field) || (!LogContent && ContentFields.Contains(field));

    /// <summary>A structured value as it may be logged: primitives as they are, text scrubbed, sensitive fields masked.</summary>
    public object? RedactValue(string field, object? value)
    {
        if (value is null)
        {
            return null;
        }

        if (IsSensitiveField(field))
        {
            return Mask;
        }

        return value switch
        {
            string s => Redact(s),
            bool or int or long or short or byte or uint or ulong or ushort or float or double or decimal or Enum or DateTime or DateTimeOffset or TimeSpan or Guid => value,
            _ => Redact(value.ToString() ?? ""),
        };
    }
}
