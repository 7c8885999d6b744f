using System.Collections;
using System.Globalization;
using System.Text.RegularExpressions;

namespace CyLlm.Gateway.Observability;

/// <summary>A log state or scope with every value redacted; <see cref="ToString"/> is the redacted message.</summary>
public sealed partial class RedactedState : IReadOnlyList<KeyValuePair<string, object?>>
{
    private readonly KeyValuePair<string, object?>[] _items;
    private readonly string _text;

    private RedactedState(KeyValuePair<string, object?>[] items, string text)
    {
        _items = items;
        _text = text;
    }

    /// <summary>Redacts a state (or scope) object. Structured states keep their fields; others become text.</summary>
    public static object? From(object? state, string? message, LogRedactor redactor)
    {
        switch (state)
        {
            case null:
                return message is null ? null : new RedactedState([], message);
            case string s:
                return message is null ? redactor.Redact(s) : new RedactedState([], message);
            case IEnumerable<KeyValuePair<string, object?>> pairs:
                var items = new List<KeyValuePair<string, object?>>();
                foreach (var (k, v) in pairs)
                {
                    // The template itself is logged too: it is code, but scrub it like any text.
                    items.Add(new(k, redactor.RedactValue(k, v)));
                }

                var array = items.ToArray();
                // Re-render the template from the redacted values so masked fields are masked in the message too.
                string? rendered = Render(array);
                return new RedactedState(array, rendered is null ? message ?? redactor.Redact(state.ToString() ?? "") : redactor.Redact(rendered));
            default:
                return new RedactedState([], message ?? redactor.Redact(state.ToString() ?? ""));
        }
    }

    [GeneratedRegex(@"\{([^{}:,]+)(?:,[^{}:]*)?(?::([^{}]*))?\}", RegexOptions.CultureInvariant)]
    private static partial Regex Hole();

    /// <summary>The "{OriginalFormat}" template with its holes filled from <paramref name="items"/>; null without one.</summary>
    private static string? Render(KeyValuePair<string, object?>[] items)
    {
        string? template = null;
        foreach (var (k, v) in items)
        {
            if (k == "{OriginalFormat}")
            {
                template = v as string;
            }
        }

        if (template is null)
        {
            return null;
        }

        return Hole().Replace(template, m =>
        {
            string name = m.Groups[1].Value;
            foreach (var (k, v) in items)
            {
                if (k == name)
                {
                    return v is IFormattable f && m.Groups[2].Success ? f.ToString(m.Groups[2].Value, CultureInfo.InvariantCulture) : Convert.ToString(v, CultureInfo.InvariantCulture) ?? "(null)";
                }
            }

            return m.Value;
        });
    }

    public KeyValuePair<string, object?> this[int index] => _items[index];

    public int Count => _items.Length;

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)_items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _items.GetEnumerator();

    public override string ToString() => _text;
}
