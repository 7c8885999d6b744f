using System.Text;
using System.Text.Json;

namespace CyLlm.ChatTemplates.Tools;

/// <summary>
/// The streaming tool-call parser of one <see cref="ToolCallFamily"/>. Hermes calls run from <c>&lt;tool_call&gt;</c>
/// to <c>&lt;/tool_call&gt;</c> (or the end of output); Mistral's <c>[TOOL_CALLS]</c> and Llama 3's
/// <c>&lt;|python_tag|&gt;</c> are followed by one JSON value (or, in Mistral's newer form, by
/// <c>name[ARGS]{...}</c>); a reply that opens with a bare JSON object (Llama 3)
/// or array (Mistral, when the decoder dropped the special [TOOL_CALLS] token) is a call too when it parses as one. A call body must be an object (or an array of objects) with a string "name" and object
/// "arguments" (or "parameters"); anything else is returned as content, marker included.
/// Trailing whitespace of content is held until real content follows, so the blank lines around calls never
/// become content; at the end it is kept only when the output made no calls.
/// </summary>
public sealed class ToolCallParser : IToolCallParser
{
    private const string HermesOpen = "<tool_call>";
    private const string HermesClose = "</tool_call>";
    private const string PythonTag = "<|python_tag|>";
    private const string MistralOpen = "[TOOL_CALLS]";

    private readonly Func<string> _newId;
    private readonly string[] _markers;
    private readonly char? _bareOpen;
    private readonly StringBuilder _buf = new();
    private readonly StringBuilder _heldSpace = new();
    private State _state;
    private string _marker = "";
    private int _calls;

    public ToolCallParser(ToolCallFamily family, Func<string>? newId = null)
    {
        _newId = newId ?? ToolCallIds.New;
        _markers = family switch
        {
            ToolCallFamily.Llama3 => [PythonTag],
            ToolCallFamily.Mistral or ToolCallFamily.MistralArgs => [MistralOpen],
            _ => [HermesOpen],
        };
        // Llama 3 may answer with a bare JSON call, and decoders that drop special tokens turn Mistral's
        // [TOOL_CALLS] into a bare JSON array: the start of the reply is undecided until its first character.
        _bareOpen = family switch
        {
            ToolCallFamily.Llama3 => '{',
            ToolCallFamily.Mistral or ToolCallFamily.MistralArgs => '[',
            _ => null,
        };
        _state = _bareOpen is null ? State.Content : State.Start;
    }

    private enum State
    {
        /// <summary>Nothing but whitespace yet (Llama 3's '{' or Mistral's '[' here opens a bare call).</summary>
        Start,

        Content,

        /// <summary>Inside a Hermes block, waiting for its closing tag.</summary>
        Tagged,

        /// <summary>After a marker (or at a bare '{'): waiting for one complete JSON value.</summary>
        Json,
    }

    /// <summary>Splits a complete output: the content (null when there is none besides calls) and the calls.</summary>
    public static (string? Content, List<ParsedToolCall> Calls) ParseAll(IToolCallParser parser, string text)
    {
        var (content, _, calls) = Split(parser, text);
        return (content, calls);
    }

    /// <summary>Splits a complete output: the content (null when there is none besides calls), the reasoning (null when
    /// the output has none) and the calls.</summary>
    public static (string? Content, string? Reasoning, List<ParsedToolCall> Calls) Split(IToolCallParser parser, string text)
    {
        ArgumentNullException.ThrowIfNull(parser);
        var content = new StringBuilder();
        var reasoning = new StringBuilder();
        var calls = new List<ParsedToolCall>();
        bool thought = false;
        foreach (var e in parser.Push(text).Concat(parser.Finish()))
        {
            if (e.Call is { } c)
            {
                calls.Add(c);
            }
            else if (e.Reasoning is { } r)
            {
                reasoning.Append(r);
                thought = true;
            }
            else
            {
                content.Append(e.Content);
            }
        }

        return (content.Length == 0 && calls.Count > 0 ? null : content.ToString(), thought ? reasoning.ToString() : null, calls);
    }

    public IReadOnlyList<ToolParseEvent> Push(string delta)
    {
        ArgumentNullException.ThrowIfNull(delta);
        var events = new List<ToolParseEvent>();
        _buf.Append(delta);
        Run(events, final: false);
        return events;
    }

    public IReadOnlyList<ToolParseEvent> Finish()
    {
        var events = new List<ToolParseEvent>();
        Run(events, final: true);
        if (_heldSpace.Length > 0 && _calls == 0)
        {
            events.Add(ToolParseEvent.Text(_heldSpace.ToString()));
        }

        _heldSpace.Clear();
        return events;
    }

    private void Run(List<ToolParseEvent> events, bool final)
    {
        while (Step(events, final))
        {
        }
    }

    /// <summary>Decides what it can; true when the state changed and there may be more to decide.</summary>
    private bool Step(List<ToolParseEvent> events, bool final)
    {
        string s = _buf.ToString();
        switch (_state)
        {
            case State.Start:
                {
                    int i = 0;
                    while (i < s.Length && char.IsWhiteSpace(s[i]))
                    {
                        i++;
                    }

                    if (i == s.Length)
                    {
                        if (final)
                        {
                            _state = State.Content;
                            return true;
                        }

                        return false;
                    }

                    // "[TOOL_CALLS]" also opens with '[': a marker (or what may still become one) is not bare JSON.
                    string rest = s[i..];
                    foreach (var m in _markers)
                    {
                        if (rest.StartsWith(m, StringComparison.Ordinal))
                        {
                            _state = State.Content;
                            return true;
                        }

                        if (!final && m.StartsWith(rest, StringComparison.Ordinal))
                        {
                            return false;
                        }
                    }

                    if (s[i] == _bareOpen)
                    {
                        _marker = s[..i];
                        _buf.Remove(0, i);
                        _state = State.Json;
                    }
                    else
                    {
                        _state = State.Content;
                    }

                    return true;
                }

            case State.Content:
                {
                    int at = -1;
                    string? marker = null;
                    foreach (var m in _markers)
                    {
                        int p = s.IndexOf(m, StringComparison.Ordinal);
                        if (p >= 0 && (at < 0 || p < at))
                        {
                            at = p;
                            marker = m;
                        }
                    }

                    if (marker is not null)
                    {
                        EmitContent(events, s[..at]);
                        _buf.Remove(0, at + marker.Length);
                        _marker = marker;
                        _state = marker == HermesOpen ? State.Tagged : State.Json;
                        return true;
                    }

                    int keep = final ? 0 : HeldPrefix(s);
                    EmitContent(events, s[..(s.Length - keep)]);
                    _buf.Remove(0, s.Length - keep);
                    return false;
                }

            case State.Tagged:
                {
                    int end = s.IndexOf(HermesClose, StringComparison.Ordinal);
                    if (end >= 0)
                    {
                        Decide(events, s[..end], _marker + s[..end] + HermesClose);
                        _buf.Remove(0, end + HermesClose.Length);
                        _state = State.Content;
                        return true;
                    }

                    if (final)
                    {
                        // A model that stops on its end-of-turn token may never write the closing tag.
                        Decide(events, s, _marker + s);
                        _buf.Clear();
                        _state = State.Content;
                    }

                    return false;
                }

            default:
                {
                    if (_marker == MistralOpen && StartsNamedCall(s))
                    {
                        return StepNamedCall(events, s, final);
                    }

                    int end = JsonValueEnd(s);
                    if (end > 0)
                    {
                        Decide(events, s[..end], _marker + s[..end]);
                        _buf.Remove(0, end);
                        _state = State.Content;
                        return true;
                    }

                    if (end < 0 || final)
                    {
                        // Not JSON after the marker, or it never closed: plain content.
                        EmitContent(events, _marker + s);
                        _buf.Clear();
                        _state = State.Content;
                        return end < 0;
                    }

                    return false;
                }
        }
    }

    /// <summary>Whether text after [TOOL_CALLS] is the v11+ form <c>name[ARGS]{...}</c> (not a JSON array).</summary>
    private static bool StartsNamedCall(string s)
    {
        string t = s.TrimStart();
        return t.Length > 0 && t[0] is not ('[' or '{');
    }

    /// <summary>
    /// Mistral's newer call form, one per [TOOL_CALLS]: <c>name[ARGS]{arguments}</c>, with <c>[CALL_ID]id</c> before
    /// [ARGS] in some templates (the id is replaced by a fresh one, like every call id).
    /// </summary>
    private bool StepNamedCall(List<ToolParseEvent> events, string s, bool final)
    {
        const string Args = "[ARGS]";
        const string CallId = "[CALL_ID]";
        int at = s.IndexOf(Args, StringComparison.Ordinal);
        if (at < 0)
        {
            // A name is one short line; anything else is not a call.
            if (final || s.Contains('\n', StringComparison.Ordinal) || s.Length > 256)
            {
                EmitContent(events, _marker + s);
                _buf.Clear();
                _state = State.Content;
                return !final;
            }

            return false;
        }

        string rest = s[(at + Args.Length)..];
        int end = JsonValueEnd(rest);
        if (end == 0 && !final)
        {
            return false;
        }

        string header = s[..at];
        int id = header.IndexOf(CallId, StringComparison.Ordinal);
        string name = (id >= 0 ? header[..id] : header).Trim();
        string raw = end > 0 ? _marker + s[..(at + Args.Length + end)] : _marker + s;
        if (end > 0 && name.Length > 0 && IsJsonObject(rest[..end]))
        {
            events.Add(ToolParseEvent.ToolCall(new ParsedToolCall(_calls++, _newId(), name, rest[..end].Trim())));
        }
        else
        {
            EmitContent(events, raw);
        }

        _buf.Remove(0, raw.Length - _marker.Length);
        _state = State.Content;
        return true;
    }

    /// <summary>Turns a call body into calls, or (malformed) its whole text into content.</summary>
    private void Decide(List<ToolParseEvent> events, string body, string rawText)
    {
        var calls = Interpret(body);
        if (calls is null)
        {
            EmitContent(events, rawText);
            return;
        }

        foreach (var (name, args) in calls)
        {
            events.Add(ToolParseEvent.ToolCall(new ParsedToolCall(_calls++, _newId(), name, args)));
        }
    }

    private void EmitContent(List<ToolParseEvent> events, string text)
    {
        // Trailing whitespace waits for what follows: before a call (or at the end of a reply with calls) it is dropped.
        int end = text.Length;
        while (end > 0 && char.IsWhiteSpace(text[end - 1]))
        {
            end--;
        }

        if (end > 0)
        {
            events.Add(ToolParseEvent.Text(_heldSpace.Length > 0 ? _heldSpace + text[..end] : text[..end]));
            _heldSpace.Clear();
        }

        _heldSpace.Append(text, end, text.Length - end);
    }

    /// <summary>Length of the longest end of <paramref name="s"/> that a marker starts with (held until decided).</summary>
    private int HeldPrefix(string s)
    {
        int best = 0;
        foreach (var m in _markers)
        {
            for (int n = Math.Min(m.Length - 1, s.Length); n > best; n--)
            {
                if (string.CompareOrdinal(s, s.Length - n, m, 0, n) == 0)
                {
                    best = n;
                    break;
                }
            }
        }

        return best;
    }

    /// <summary>
    /// End (exclusive) of the JSON object or array that starts <paramref name="s"/> after whitespace; 0 while it is
    /// incomplete, -1 when <paramref name="s"/> does not start with one.
    /// </summary>
    private static int JsonValueEnd(string s)
    {
        int i = 0;
        while (i < s.Length && char.IsWhiteSpace(s[i]))
        {
            i++;
        }

        if (i == s.Length)
        {
            return 0;
        }

        if (s[i] is not ('{' or '['))
        {
            return -1;
        }

        int depth = 0;
        bool inString = false;
        for (; i < s.Length; i++)
        {
            char c = s[i];
            if (inString)
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == '"')
                {
                    inString = false;
                }
            }
            else if (c == '"')
            {
                inString = true;
            }
            else if (c is '{' or '[')
            {
                depth++;
            }
            else if (c is '}' or ']' && --depth == 0)
            {
                return i + 1;
            }
        }

        return 0;
    }

    /// <summary>The (name, arguments JSON) pairs of a call body, or null when it is not a well-formed call.</summary>
    private static List<(string Name, string Args)>? Interpret(string body)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body.Trim());
        }
        catch (JsonException)
        {
            return null;
        }

        using (doc)
        {
            var root = doc.RootElement;
            var result = new List<(string, string)>();
            if (root.ValueKind == JsonValueKind.Object)
            {
                return One(root, result) ? result : null;
            }

            if (root.ValueKind != JsonValueKind.Array || root.GetArrayLength() == 0)
            {
                return null;
            }

            foreach (var item in root.EnumerateArray())
            {
                if (!One(item, result))
                {
                    return null;
                }
            }

            return result;
        }
    }

    private static bool One(JsonElement call, List<(string, string)> into)
    {
        if (call.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        // OpenAI-shaped {"type": "function", "function": {...}} bodies occur too.
        if (call.TryGetProperty("function", out var fn) && fn.ValueKind == JsonValueKind.Object)
        {
            call = fn;
        }

        if (!call.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(name.GetString()))
        {
            return false;
        }

        if (!call.TryGetProperty("arguments", out var args) && !call.TryGetProperty("parameters", out args))
        {
            // A function without parameters: Llama 3.2 often leaves them out.
            into.Add((name.GetString()!, "{}"));
            return true;
        }

        string text;
        if (args.ValueKind == JsonValueKind.Object)
        {
            text = args.GetRawText();
        }
        else if (args.ValueKind == JsonValueKind.String && IsJsonObject(args.GetString()!))
        {
            // Arguments written as a JSON string (OpenAI's own wire form).
            text = args.GetString()!;
        }
        else
        {
            return false;
        }

        into.Add((name.GetString()!, text));
        return true;
    }

    private static bool IsJsonObject(string s)
    {
        try
        {
            using var d = JsonDocument.Parse(s);
            return d.RootElement.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
