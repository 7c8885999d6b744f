using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace CyLlm.Engine.Sampling.Grammars;

/// <summary>
/// Translates a Lark grammar (the subset people send to vLLM's guided_grammar) into GBNF for <see cref="GbnfParser"/>:
/// rules <c>name: a | b</c> (with <c>?</c>/<c>!</c> markers, priorities and <c>-&gt; alias</c>, none of which change
/// the language), terminals <c>NAME: ...</c>, "strings" with escapes and the <c>i</c> flag, /regexps/ (the
/// <see cref="RegexGrammar"/> subset; flags s and u), "a".."z" ranges, ( ), [ ], <c>? * +</c>, <c>~ n</c> and
/// <c>~ n..m</c>, <c>//</c> and <c>#</c> comments, continuation lines starting with <c>|</c>, <c>%import common...</c>
/// and <c>%ignore</c>. The language is read at the character level (as xgrammar and llama.cpp read Lark): strings the
/// grammar derives, without Lark's lexer's longest-match tokenization. <c>%ignore</c> is exact: the ignored
/// terminals may appear any number of times before every token of a rule and at the end, never inside a terminal.
/// </summary>
internal sealed partial class LarkParser
{
    /// <summary>The GBNF start rule: Lark's <c>start</c>, then the ignored text that may end the input.</summary>
    public const string Root = "lark-root";

    /// <summary>The GBNF rule of the %ignore'd terminals (its name appears in messages about them).</summary>
    public const string IgnoreRule = "lark-ignore";

    private const string Ignore = IgnoreRule;

    /// <summary>Deepest nesting of groups (and of a regexp's groups) accepted: the parsers recurse per level, and a
    /// hostile grammar of nested parentheses must be a 400, not a stack overflow. Real grammars nest a few levels.</summary>
    public const int MaxNesting = 100;

    private readonly string _s;
    private readonly bool _hasIgnore;
    private readonly StringBuilder _out = new();
    private readonly Dictionary<string, int> _defined = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _referenced = new(StringComparer.Ordinal);
    private readonly List<string> _ignored = [];
    private bool _importedCommon;
    private bool _inTerminal;
    private int _pos;

    private LarkParser(string text)
    {
        _s = text;
        // Known before any rule is translated, as every token of a rule then gets the ignored prefix.
        _hasIgnore = IgnoreDirective().IsMatch(text);
    }

    /// <summary>GBNF for <paramref name="text"/> whose start rule is <see cref="Root"/>.</summary>
    /// <exception cref="GrammarException">A syntax error or an unsupported construct, with its line and column.</exception>
    public static string ToGbnf(string text) => new LarkParser(text).Translate();

    [GeneratedRegex(@"^[ \t]*%ignore\b", RegexOptions.Multiline)]
    private static partial Regex IgnoreDirective();

    private string Translate()
    {
        SkipSpace(newlines: true);
        if (_pos >= _s.Length)
        {
            throw new GrammarException("the Lark grammar is empty");
        }

        while (_pos < _s.Length)
        {
            if (_s[_pos] == '%')
            {
                ParseDirective();
            }
            else
            {
                ParseDefinition();
            }

            EndOfStatement();
            SkipSpace(newlines: true);
        }

        foreach (var (name, at) in _referenced)
        {
            if (!_defined.ContainsKey(name))
            {
                _pos = at;
                throw Error($"'{name}' is used but never defined" + (LarkCommon.Has(name) ? $" (add %import common.{name})" : ""));
            }
        }

        if (!_defined.ContainsKey("start"))
        {
            _pos = 0;
            throw Error("the grammar has no 'start' rule (the start rule)");
        }

        if (_importedCommon)
        {
            _out.Append(LarkCommon.Gbnf());
        }

        if (_hasIgnore)
        {
            _out.Append(Ignore).Append(" ::= ( ").Append(string.Join(" | ", _ignored)).Append(" )*\n");
            _out.Append(Root).Append(" ::= start ").Append(Ignore).Append('\n');
        }
        else
        {
            _out.Append(Root).Append(" ::= start\n");
        }

        return _out.ToString();
    }

    private void ParseDefinition()
    {
        int start = _pos;
        bool marked = _s[_pos] is '?' or '!';
        if (marked)
        {
            _pos++;
        }

        string name = ParseName();
        bool terminal = IsTerminal(name);
        if (marked && terminal)
        {
            _pos = start;
            throw Error($"the '{_s[start]}' marker applies to rules, not to terminal '{name}'");
        }

        if (_pos < _s.Length && _s[_pos] == '{')
        {
            throw Error("templates (rule{params}) are not supported");
        }

        if (_pos < _s.Length && _s[_pos] == '.')
        {
            // A priority only orders the lexer's or parser's choices; the language stays the same.
            _pos++;
            if (_pos < _s.Length && _s[_pos] == '-')
            {
                _pos++;
            }

            if (_pos >= _s.Length || !char.IsAsciiDigit(_s[_pos]))
            {
                throw Error("expected a number after '.' (a priority)");
            }

            while (_pos < _s.Length && char.IsAsciiDigit(_s[_pos]))
            {
                _pos++;
            }
        }

        SkipSpace(newlines: false);
        if (_pos >= _s.Length || _s[_pos] != ':')
        {
            throw Error($"expected ':' after '{name}'");
        }

        _pos++;
        if (!_defined.TryAdd(name, start))
        {
            _pos = start;
            throw Error($"'{name}' is defined twice");
        }

        _inTerminal = terminal;
        string body = ParseAlternatives(depth: 0);
        _out.Append(name).Append(" ::= ").Append(body).Append('\n');
    }

    private void ParseDirective()
    {
        int start = _pos;
        _pos++;
        string word = ParseName();
        switch (word)
        {
            case "ignore":
                _inTerminal = true;
                SkipSpace(newlines: false);
                _ignored.Add("( " + ParseAlternatives(depth: 0) + " )");
                return;
            case "import":
                ParseImport();
                return;
            default:
                _pos = start;
                throw Error($"%{word} is not supported (%import common and %ignore are)");
        }
    }

    private void ParseImport()
    {
        SkipSpace(newlines: false);
        int at = _pos;
        string module = ParseName();
        if (module != "common")
        {
            _pos = at;
            throw Error($"only lark's common module can be imported, not '{module}'");
        }

        var names = new List<(string Name, string As, int At)>();
        if (_pos < _s.Length && _s[_pos] == '.')
        {
            _pos++;
            int nameAt = _pos;
            string name = ParseName();
            string alias = name;
            SkipSpace(newlines: false);
            if (At("->"))
            {
                _pos += 2;
                SkipSpace(newlines: false);
                alias = ParseName();
            }

            names.Add((name, alias, nameAt));
        }
        else
        {
            SkipSpace(newlines: false);
            if (_pos >= _s.Length || _s[_pos] != '(')
            {
                throw Error("expected '.NAME' or '(NAME, ...)' after %import common");
            }

            _pos++;
            while (true)
            {
                SkipSpace(newlines: true);
                int nameAt = _pos;
                string name = ParseName();
                names.Add((name, name, nameAt));
                SkipSpace(newlines: true);
                if (_pos < _s.Length && _s[_pos] == ',')
                {
                    _pos++;
                    continue;
                }

                if (_pos < _s.Length && _s[_pos] == ')')
                {
                    _pos++;
                    break;
                }

                throw Error("expected ',' or ')' in the import list");
            }
        }

        int end = _pos;
        foreach (var (name, alias, nameAt) in names)
        {
            _pos = nameAt;
            if (!LarkCommon.Has(name))
            {
                throw Error($"common.lark has no terminal '{name}' here (supported: {LarkCommon.Names})");
            }

            if (!IsTerminal(alias))
            {
                throw Error($"'{name}' is a terminal: its name must be uppercase, not '{alias}'");
            }

            if (!_defined.TryAdd(alias, nameAt))
            {
                throw Error($"'{alias}' is defined twice");
            }

            _out.Append(alias).Append(" ::= ").Append(LarkCommon.Prefix).Append(name).Append('\n');
        }

        _importedCommon = true;
        _pos = end;
        SkipSpace(newlines: false);
    }

    /// <summary>Alternatives; at depth 0 a newline ends them unless the next line starts with '|'.</summary>
    private string ParseAlternatives(int depth)
    {
        var alts = new List<string> { ParseSequence(depth) };
        while (true)
        {
            if (_pos < _s.Length && _s[_pos] == '|')
            {
                _pos++;
                alts.Add(ParseSequence(depth));
                continue;
            }

            if (depth == 0)
            {
                int save = _pos;
                SkipSpace(newlines: true);
                if (_pos < _s.Length && _s[_pos] == '|')
                {
                    continue;
                }

                _pos = save;
            }

            break;
        }

        return alts.Count == 1 ? alts[0] : string.Join(" | ", alts);
    }

    private string ParseSequence(int depth)
    {
        var items = new List<string>();
        while (true)
        {
            SkipSpace(newlines: depth > 0);
            if (_pos >= _s.Length)
            {
                break;
            }

            char c = _s[_pos];
            if (c is '|' or ')' or ']' or '\n' or '\r')
            {
                break;
            }

            if (At("->"))
            {
                if (depth > 0 || _inTerminal)
                {
                    throw Error("an alias ('->') may only end an alternative of a rule");
                }

                // An alias names the tree node; the language is the same.
                _pos += 2;
                SkipSpace(newlines: false);
                ParseName();
                SkipSpace(newlines: false);
                if (_pos < _s.Length && _s[_pos] is not ('|' or '\n' or '\r'))
                {
                    throw Error("expected the end of the alternative after the alias");
                }

                break;
            }

            var (atom, token) = ParseAtom(depth);
            string op = ParseOperator();
            if (token && _hasIgnore && !_inTerminal)
            {
                atom = "( " + Ignore + " " + atom + " )";
            }
            else if (op.Length > 0)
            {
                atom = "( " + atom + " )";
            }

            items.Add(atom + op);
        }

        return items.Count == 0 ? "\"\"" : string.Join(" ", items);
    }

    /// <summary>One atom as a GBNF expression, and whether it is a token (a terminal, string or regexp).</summary>
    private (string Gbnf, bool Token) ParseAtom(int depth)
    {
        int start = _pos;
        char c = _s[_pos];
        switch (c)
        {
            case '(':
            case '[':
                {
                    if (depth >= MaxNesting)
                    {
                        throw Error($"groups nest deeper than {MaxNesting} levels");
                    }

                    _pos++;
                    string inner = ParseAlternatives(depth + 1);
                    SkipSpace(newlines: true);
                    char close = c == '(' ? ')' : ']';
                    if (_pos >= _s.Length || _s[_pos] != close)
                    {
                        _pos = Math.Min(_pos, _s.Length);
                        throw Error($"expected '{close}' closing the '{c}' at line {LineCol(start)}");
                    }

                    _pos++;
                    return ("( " + inner + (c == '(' ? " )" : " )?"), false);
                }

            case '"':
                {
                    var (text, insensitive) = ParseString();
                    int save = _pos;
                    SkipSpace(newlines: false);
                    if (!At(".."))
                    {
                        _pos = save;
                        return (insensitive ? CaseInsensitive(text) : text.Length == 0 ? "\"\"" : GbnfText.Literal(text), true);
                    }

                    _pos += 2;
                    SkipSpace(newlines: false);
                    if (_pos >= _s.Length || _s[_pos] != '"')
                    {
                        throw Error("expected a string after '..' (a range \"a\"..\"z\")");
                    }

                    int hiAt = _pos;
                    var (hi, hiInsensitive) = ParseString();
                    if (insensitive || hiInsensitive)
                    {
                        _pos = start;
                        throw Error("a range's strings take no flags");
                    }

                    int lo = SingleCodePoint(text, start);
                    int hiCp = SingleCodePoint(hi, hiAt);
                    if (hiCp < lo)
                    {
                        _pos = start;
                        throw Error("the range is out of order");
                    }

                    var sb = new StringBuilder("[");
                    GbnfText.AppendChar(sb, lo, inClass: true);
                    sb.Append('-');
                    GbnfText.AppendChar(sb, hiCp, inClass: true);
                    return (sb.Append(']').ToString(), true);
                }

            case '/':
                return (ParseRegex(), true);
            default:
                if (char.IsAsciiLetter(c) || c == '_')
                {
                    string name = ParseName();
                    if (_pos < _s.Length && _s[_pos] == '{')
                    {
                        throw Error("templates (rule{params}) are not supported");
                    }

                    bool terminal = IsTerminal(name);
                    if (_inTerminal && !terminal)
                    {
                        _pos = start;
                        throw Error($"a terminal cannot use rule '{name}' (terminals are made of terminals and literals)");
                    }

                    _referenced.TryAdd(name, start);
                    return (name, terminal);
                }

                throw Error($"unexpected character '{c}'");
        }
    }

    private string ParseOperator()
    {
        if (_pos >= _s.Length)
        {
            return "";
        }

        int save = _pos;
        SkipSpace(newlines: false);
        if (_pos < _s.Length && _s[_pos] is '?' or '*' or '+')
        {
            _pos++;
            return _s[_pos - 1].ToString();
        }

        if (_pos >= _s.Length || _s[_pos] != '~')
        {
            _pos = save;
            return "";
        }

        _pos++;
        SkipSpace(newlines: false);
        int min = ParseCount();
        int max = min;
        SkipSpace(newlines: false);
        if (At(".."))
        {
            _pos += 2;
            SkipSpace(newlines: false);
            max = ParseCount();
            if (max < min)
            {
                throw Error($"repetition ~ {min}..{max} has max < min");
            }
        }

        return min == max ? $"{{{min}}}" : $"{{{min},{max}}}";
    }

    private int ParseCount()
    {
        int start = _pos;
        while (_pos < _s.Length && char.IsAsciiDigit(_s[_pos]))
        {
            _pos++;
        }

        if (_pos == start)
        {
            throw Error("expected a number after '~'");
        }

        if (!int.TryParse(_s.AsSpan(start, _pos - start), NumberStyles.None, CultureInfo.InvariantCulture, out int v) || v > GrammarBuilder.MaxRepetition)
        {
            _pos = start;
            throw Error($"repetition bound above {GrammarBuilder.MaxRepetition} is not supported");
        }

        return v;
    }

    /// <summary>A "string" and its <c>i</c> flag; escapes decoded as Lark does (Python's, unknown ones kept).</summary>
    private (string Text, bool Insensitive) ParseString()
    {
        int start = _pos;
        _pos++;
        var sb = new StringBuilder();
        while (true)
        {
            if (_pos >= _s.Length || _s[_pos] is '\n' or '\r')
            {
                _pos = start;
                throw Error("unterminated string literal");
            }

            char c = _s[_pos];
            if (c == '"')
            {
                _pos++;
                break;
            }

            if (c != '\\')
            {
                sb.Append(c);
                _pos++;
                continue;
            }

            if (_pos + 1 >= _s.Length)
            {
                _pos = start;
                throw Error("unterminated string literal");
            }

            char e = _s[_pos + 1];
            _pos += 2;
            switch (e)
            {
                case '\\': sb.Append('\\'); break;
                case '"': sb.Append('"'); break;
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case 'f': sb.Append('\f'); break;
                case 'x': sb.Append(char.ConvertFromUtf32(Hex(2))); break;
                case 'u': sb.Append(char.ConvertFromUtf32(Hex(4))); break;
                case 'U': sb.Append(char.ConvertFromUtf32(Hex(8))); break;
                default:
                    // Lark keeps any other escape as written (a backslash and the character).
                    sb.Append('\\').Append(e);
                    break;
            }
        }

        bool insensitive = _pos < _s.Length && _s[_pos] == 'i';
        if (insensitive)
        {
            _pos++;
        }

        return (sb.ToString(), insensitive);
    }

    private int Hex(int digits)
    {
        if (_pos + digits > _s.Length || !int.TryParse(_s.AsSpan(_pos, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int v))
        {
            throw Error($"expected {digits} hex digits in an escape");
        }

        if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        {
            throw Error($"escape U+{v:X} is not a Unicode scalar value");
        }

        _pos += digits;
        return v;
    }

    private string ParseRegex()
    {
        int start = _pos;
        _pos++;
        var body = new StringBuilder();
        while (true)
        {
            if (_pos >= _s.Length || _s[_pos] is '\n' or '\r')
            {
                _pos = start;
                throw Error("unterminated regexp");
            }

            char c = _s[_pos];
            if (c == '/')
            {
                _pos++;
                break;
            }

            if (c == '\\' && _pos + 1 < _s.Length && _s[_pos + 1] is not ('\n' or '\r'))
            {
                // The escape travels to the regex parser as written: \/ is a slash there too.
                body.Append(c).Append(_s[_pos + 1]);
                _pos += 2;
                continue;
            }

            body.Append(c);
            _pos++;
        }

        bool dotAll = false;
        while (_pos < _s.Length && _s[_pos] is 'i' or 'm' or 's' or 'l' or 'u' or 'x')
        {
            switch (_s[_pos])
            {
                case 's':
                    dotAll = true;
                    break;
                case 'u':
                    // Python 3 patterns are Unicode already.
                    break;
                default:
                    throw Error($"regexp flag '{_s[_pos]}' is not supported (s and u are)");
            }

            _pos++;
        }

        string pattern = body.ToString();
        if (RegexNesting(pattern) > MaxNesting)
        {
            _pos = start;
            throw Error($"the regexp's groups nest deeper than {MaxNesting} levels");
        }

        if (pattern.StartsWith('^') || (pattern.EndsWith('$') && !pattern.EndsWith("\\$", StringComparison.Ordinal)))
        {
            _pos = start;
            throw Error("anchors (^, $) are not supported in a Lark regexp");
        }

        try
        {
            return RegexGrammar.ToGbnf(pattern, jsonString: false, anchoredSearch: false, dotAll);
        }
        catch (GrammarException e)
        {
            _pos = start;
            throw Error(e.Message);
        }
    }

    /// <summary>The deepest group nesting of a regex (escapes and classes skipped).</summary>
    private static int RegexNesting(string pattern)
    {
        int depth = 0;
        int max = 0;
        bool inClass = false;
        for (int i = 0; i < pattern.Length; i++)
        {
            char c = pattern[i];
            if (c == '\\')
            {
                i++;
            }
            else if (inClass)
            {
                inClass = c != ']';
            }
            else if (c == '[')
            {
                inClass = true;
            }
            else if (c == '(')
            {
                max = Math.Max(max, ++depth);
            }
            else if (c == ')')
            {
                depth--;
            }
        }

        return max;
    }

    private int SingleCodePoint(string text, int at)
    {
        if (text.Length == 0 || text.Length != (char.IsSurrogatePair(text, 0) ? 2 : 1))
        {
            _pos = at;
            throw Error("each end of a range must be one character");
        }

        return char.ConvertToUtf32(text, 0);
    }

    /// <summary>A literal whose letters match either case (simple Unicode case mapping, as the <c>i</c> flag).</summary>
    private static string CaseInsensitive(string text)
    {
        if (text.Length == 0)
        {
            return "\"\"";
        }

        var parts = new List<string>();
        foreach (var rune in text.EnumerateRunes())
        {
            var forms = new SortedSet<int> { rune.Value, Rune.ToUpperInvariant(rune).Value, Rune.ToLowerInvariant(rune).Value };
            if (forms.Count == 1)
            {
                parts.Add(GbnfText.Literal(rune.ToString()));
                continue;
            }

            var sb = new StringBuilder("[");
            foreach (int cp in forms)
            {
                GbnfText.AppendChar(sb, cp, inClass: true);
            }

            parts.Add(sb.Append(']').ToString());
        }

        return string.Join(" ", parts);
    }

    private void EndOfStatement()
    {
        SkipSpace(newlines: false);
        if (_pos < _s.Length && _s[_pos] is not ('\n' or '\r'))
        {
            throw Error($"unexpected character '{_s[_pos]}'");
        }
    }

    private string ParseName()
    {
        int start = _pos;
        while (_pos < _s.Length && (char.IsAsciiLetterOrDigit(_s[_pos]) || _s[_pos] == '_'))
        {
            _pos++;
        }

        if (_pos == start || char.IsAsciiDigit(_s[start]))
        {
            _pos = start;
            throw Error(_pos < _s.Length ? $"expected a name, found '{_s[_pos]}'" : "expected a name at the end of the grammar");
        }

        string name = _s[start.._pos];
        string core = name.TrimStart('_');
        if (core.Length > 0 && core != core.ToLowerInvariant() && core != core.ToUpperInvariant())
        {
            _pos = start;
            throw Error($"'{name}' mixes cases: rule names are lowercase, terminal names uppercase");
        }

        return name;
    }

    private static bool IsTerminal(string name)
    {
        string core = name.TrimStart('_');
        return core.Length > 0 && char.IsAsciiLetterUpper(core[0]);
    }

    private bool At(string token) => string.CompareOrdinal(_s, _pos, token, 0, token.Length) == 0;

    private void SkipSpace(bool newlines)
    {
        while (_pos < _s.Length)
        {
            char c = _s[_pos];
            if (c == ' ' || c == '\t' || c == '\f' || (newlines && (c == '\n' || c == '\r')))
            {
                _pos++;
            }
            else if (c == '#' || At("//"))
            {
                while (_pos < _s.Length && _s[_pos] != '\n')
                {
                    _pos++;
                }
            }
            else
            {
                break;
            }
        }
    }

    private string LineCol(int at)
    {
        int line = 1;
        int col = 1;
        for (int i = 0; i < at && i < _s.Length; i++)
        {
            if (_s[i] == '\n')
            {
                line++;
                col = 1;
            }
            else
            {
                col++;
            }
        }

        return line.ToString(CultureInfo.InvariantCulture) + ", column " + col.ToString(CultureInfo.InvariantCulture);
    }

    private GrammarException Error(string what) => new($"Lark grammar error at line {LineCol(_pos)}: {what}");
}
