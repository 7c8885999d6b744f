using System.Diagnostics;
using CyLlm.ChatTemplates;
using CyLlm.ChatTemplates.Tools;
using CyLlm.Tokenizers;
using CyLlm.Training.Data.Schemas;

namespace CyLlm.Training.Data;

/// <summary>
/// Turns dataset rows into token ids and loss masks for one model: conversations go through the model's chat
/// template and tokenizer exactly as <c>InferenceEngine.EncodeChat</c> renders prompts (BOS added only when the
/// template does not write it); plain text is encoded as is with BOS by the tokenizer's rule and EOS appended
/// (a document boundary), every token a target.
/// <para>
/// Loss masks are found prefix by prefix, which needs nothing from the template but determinism: for each
/// trained assistant message i, <c>messages[..i]</c> rendered with the generation prompt and
/// <c>messages[..i+1]</c> rendered without are tokenized; the tokens of the whole conversation between the
/// first prefix's length and the second's (each cut to its common prefix with the whole, in case BPE merges
/// across the boundary) are the assistant's turn, end-of-turn marker included, so the model learns to stop.
/// </para>
/// </summary>
public sealed class TrainingRenderer
{
    private readonly ITokenizer _tokenizer;
    private readonly ChatTemplate _template;
    private readonly ToolCallDialect _toolDialect;
    private readonly string _bos;
    private readonly string _eos;

    public TrainingRenderer(ITokenizer tokenizer, ChatTemplate template)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(template);
        _tokenizer = tokenizer;
        _template = template;
        _toolDialect = ToolCallDialect.Detect(template);
        _bos = tokenizer.BosId >= 0 ? tokenizer.GetTokenText(tokenizer.BosId) : "";
        _eos = tokenizer.EosId >= 0 ? tokenizer.GetTokenText(tokenizer.EosId) : "";
    }

    /// <summary>
    /// A renderer for a tokenizer and the template the engine would choose: the tokenizer's own chat template,
    /// else the built-in <paramref name="templateOrArchitecture"/> (a built-in name or an architecture hint), else ChatML.
    /// <paramref name="templateOverride"/> (a built-in name or Jinja source, what <c>--chat-template</c> gives the
    /// engine) replaces the model's own, so an adapter learns the prompts it will be served with.
    /// </summary>
    public static TrainingRenderer Create(TokenizerData data, string? templateOrArchitecture = null, string? templateOverride = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        var template = templateOverride is not null
            ? ChatTemplateSelector.Override(templateOverride).Template
            : ChatTemplateSelector.Resolve(data.ChatTemplate, templateOrArchitecture).Template;
        return new TrainingRenderer(CyLlm.Tokenizers.Tokenizer.Create(data), template);
    }

    public ITokenizer Tokenizer => _tokenizer;

    /// <summary>Renders and tokenizes a parsed row, truncated to <paramref name="maxSequenceLength"/> tokens.</summary>
    /// <exception cref="ChatTemplateException">The template refused the conversation.</exception>
    internal RenderedRow Render(ParsedRow row, int maxSequenceLength)
    {
        Debug.Assert(maxSequenceLength > 1);
        int[] tokens;
        bool[] mask;
        if (row.Messages is null)
        {
            var list = new List<int>(row.Text!.Length / 3 + 2);
            _tokenizer.Encode(row.Text.AsSpan(), list, _tokenizer.AddBosByDefault, parseSpecial: false);
            if (_tokenizer.EosId >= 0 && (list.Count == 0 || list[^1] != _tokenizer.EosId))
            {
                list.Add(_tokenizer.EosId);
            }

            tokens = [.. list];
            mask = new bool[tokens.Length];
            Array.Fill(mask, true);
        }
        else
        {
            (tokens, mask) = RenderConversation(row.Messages, row.Tools);
        }

        int full = tokens.Length;
        bool truncated = full > maxSequenceLength;
        if (truncated)
        {
            tokens = tokens[..maxSequenceLength];
            mask = mask[..maxSequenceLength];
        }

        // Position 0 is never predicted (nothing precedes it), so it is not counted as a target.
        int targets = 0;
        for (int i = 1; i < mask.Length; i++)
        {
            targets += mask[i] ? 1 : 0;
        }

        return new RenderedRow(tokens, mask, full, truncated, targets);
    }

    private (int[] Tokens, bool[] Mask) RenderConversation(IReadOnlyList<TrainMessage> messages, IReadOnlyList<ChatTool>? tools)
    {
        var all = new List<ChatMessage>(messages.Count);
        bool toolTurns = tools is { Count: > 0 };
        foreach (var m in messages)
        {
            all.Add(new ChatMessage(m.Role, m.Content) { ToolCalls = m.ToolCalls, ToolCallId = m.ToolCallId });
            toolTurns |= m.ToolCalls is not null || m.ToolCallId is not null;
        }

        int[] tokens = Encode(RenderText(all, tools, toolTurns, addGenerationPrompt: false));
        bool[] mask = new bool[tokens.Length];
        for (int i = 0; i < messages.Count; i++)
        {
            if (!messages[i].Train)
            {
                continue;
            }

            int start = CommonPrefix(Encode(RenderText(all[..i], tools, toolTurns, addGenerationPrompt: true)), tokens);
            int end = CommonPrefix(Encode(RenderText(all[..(i + 1)], tools, toolTurns, addGenerationPrompt: false)), tokens);
            for (int t = start; t < end; t++)
            {
                mask[t] = true;
            }
        }

        return (tokens, mask);
    }

    /// <summary>
    /// The text of a conversation; with tools or tool turns it goes through <see cref="ToolCallDialect.Prepare"/>
    /// as <c>InferenceEngine.RenderChat</c> does when serving (the template's own tool rendering, or the Hermes fallback).
    /// </summary>
    private string RenderText(List<ChatMessage> messages, IReadOnlyList<ChatTool>? tools, bool toolTurns, bool addGenerationPrompt)
    {
        var options = new ChatTemplateOptions { AddGenerationPrompt = addGenerationPrompt, BosToken = _bos, EosToken = _eos };
        IReadOnlyList<ChatMessage> list = messages;
        if (toolTurns)
        {
            (list, options) = _toolDialect.Prepare(messages, tools, options);
        }

        return _template.Render(list, options);
    }

    private int[] Encode(string text)
    {
        bool templateHasBos = _bos.Length > 0 && text.StartsWith(_bos, StringComparison.Ordinal);
        return _tokenizer.Encode(text, _tokenizer.AddBosByDefault && !templateHasBos, parseSpecial: true);
    }

    private static int CommonPrefix(int[] a, int[] b)
    {
        int n = Math.Min(a.Length, b.Length);
        int i = 0;
        while (i < n && a[i] == b[i])
        {
            i++;
        }

        return i;
    }
}
