using System.Security.Cryptography;

namespace CyLlm.ChatTemplates.Tools;

/// <summary>Tool call ids in OpenAI's form: <c>call_</c> followed by 24 random letters and digits.</summary>
public static class ToolCallIds
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    public static string New() => "call_" + RandomNumberGenerator.GetString(Alphabet, 24);

    /// <summary>
    /// The 9-letter-or-digit id Mistral's templates require (they raise on any other length): the last 9 letters
    /// and digits of <paramref name="id"/>, left-padded with '0'. Deterministic, so a call and its result still match.
    /// </summary>
    public static string ForMistral(string id)
    {
        var alnum = id.Where(char.IsAsciiLetterOrDigit).ToArray();
        var s = new string(alnum, Math.Max(0, alnum.Length - 9), Math.Min(9, alnum.Length));
        return s.PadLeft(9, '0');
    }
}
