using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace CyLlm.Jobs;

/// <summary>
/// A task's id: a kind prefix followed by up to 56 characters of [A-Za-z0-9_-], e.g. <c>ftjob-3fK9...</c> or <c>batch_6a1c...</c>.
/// The prefix names the kind, so an id alone tells which API owns the task.
/// </summary>
public readonly struct TaskId : IEquatable<TaskId>, IComparable<TaskId>
{
    /// <summary>Longest accepted id (prefix included); bounds the column and rejects hostile input early.</summary>
    public const int MaxLength = 64;

    private const int RandomLength = 24;
    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    private readonly string? value;

    private TaskId(string value, TaskKind kind)
    {
        this.value = value;
        Kind = kind;
    }

    /// <summary>The full id text. Throws for <c>default(TaskId)</c> so an uninitialised id never reaches a query.</summary>
    public string Value => value ?? throw new InvalidOperationException("TaskId is uninitialised (default)");

    public TaskKind Kind { get; }

    public bool IsEmpty => value is null;

    /// <summary>The id prefix for a kind, including its separator.</summary>
    public static string PrefixOf(TaskKind kind) => kind switch
    {
        TaskKind.FineTuning => "ftjob-",
        TaskKind.Batch => "batch_",
        TaskKind.Transfer => "xfer-",
        TaskKind.Export => "export-",
        TaskKind.ModelPull => "pull-",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown task kind"),
    };

    /// <summary>A fresh id with 24 random base-62 characters (~143 bits).</summary>
    public static TaskId New(TaskKind kind)
    {
        string prefix = PrefixOf(kind);
        Span<char> chars = stackalloc char[RandomLength];
        for (int i = 0; i < chars.Length; i++)
        {
            chars[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        }

        return new TaskId(prefix + new string(chars), kind);
    }

    /// <summary>Parses an id; throws <see cref="FormatException"/> with a one-line reason.</summary>
    public static TaskId Parse(string text)
    {
        if (!TryParse(text, out var id, out string? reason))
        {
            throw new FormatException(reason);
        }

        return id;
    }

    public static bool TryParse([NotNullWhen(true)] string? text, out TaskId id) => TryParse(text, out id, out _);

    private static bool TryParse(string? text, out TaskId id, out string? reason)
    {
        id = default;
        if (string.IsNullOrEmpty(text))
        {
            reason = "task id is empty";
            return false;
        }

        if (text.Length > MaxLength)
        {
            reason = $"task id is {text.Length} characters long; at most {MaxLength} are allowed";
            return false;
        }

        TaskKind? kind = null;
        foreach (TaskKind k in Enum.GetValues<TaskKind>())
        {
            string p = PrefixOf(k);
            if (text.Length > p.Length && text.StartsWith(p, StringComparison.Ordinal))
            {
                kind = k;
                break;
            }
        }

        if (kind is null)
        {
            reason = $"task id '{Truncate(text)}' has no known kind prefix (ftjob-, batch_, xfer-, export-, pull-)";
            return false;
        }

        foreach (char c in text)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '-' && c != '_')
            {
                reason = $"task id '{Truncate(text)}' contains '{c}'; only [A-Za-z0-9_-] are allowed";
                return false;
            }
        }

        id = new TaskId(text, kind.Value);
        reason = null;
        return true;
    }

    private static string Truncate(string s) => s.Length <= 40 ? s : s[..40] + "...";

    public bool Equals(TaskId other) => string.Equals(value, other.value, StringComparison.Ordinal);

    public override bool Equals(object? obj) => obj is TaskId other && Equals(other);

    public override int GetHashCode() => value is null ? 0 : StringComparer.Ordinal.GetHashCode(value);

    public int CompareTo(TaskId other) => string.CompareOrdinal(value, other.value);

    public override string ToString() => value ?? "";

    public static bool operator ==(TaskId a, TaskId b) => a.Equals(b);

    public static bool operator !=(TaskId a, TaskId b) => !a.Equals(b);
}
