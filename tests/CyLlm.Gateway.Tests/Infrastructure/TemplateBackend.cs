using CyLlm.ChatTemplates;
using CyLlm.ChatTemplates.Tools;
using CyLlm.Engine.Generation;
using CyLlm.Gateway.Hosting;

namespace CyLlm.Gateway.Tests.Infrastructure;

/// <summary>
/// A <see cref="FakeBackend"/> whose prompts are rendered by a real chat template, the way the engine renders them
/// (tools through the template when it knows them, its dialect from its text), so gateway tests reach the
/// native-template path without a model. <see cref="LastPrompt"/> is the last rendered text.
/// </summary>
public sealed class TemplateBackend(FakeBackend inner, ChatTemplate template) : IInferenceBackend
{
    public FakeBackend Inner { get; } = inner;

    public string? LastPrompt { get; private set; }

    public ToolCallDialect ToolDialect { get; } = ToolCallDialect.Detect(template);

    public string ModelId => Inner.ModelId;

    public int ContextTokens => 8192;

    public int VocabSize => Inner.VocabSize;

    public int Waiting => Inner.Waiting;

    public int MaxWaiting => Inner.MaxWaiting;

    public GenerationStream Start(GenerationRequest request, CancellationToken cancellationToken) => Inner.Start(request, cancellationToken);

    public int[] Encode(string text, bool? addBos = null) => Inner.Encode(text, addBos);

    public string Decode(IReadOnlyList<int> ids) => Inner.Decode(ids);

    public byte[] PieceBytes(int id) => Inner.PieceBytes(id);

    public string RenderChat(IReadOnlyList<ChatMessage> messages) => Render(messages, [], "");

    public int[] EncodeChat(IReadOnlyList<ChatMessage> messages) => Encode(RenderChat(messages));

    public int[] EncodeChat(IReadOnlyList<ChatMessage> messages, IReadOnlyList<ChatTool> tools, string generationPrefix) =>
        Encode(Render(messages, tools, generationPrefix));

    private string Render(IReadOnlyList<ChatMessage> messages, IReadOnlyList<ChatTool> tools, string prefix)
    {
        var (m, options) = ToolDialect.Prepare(messages, tools, new ChatTemplateOptions { BosToken = "<s>", EosToken = "</s>" });
        return LastPrompt = template.Render(m, options) + prefix;
    }

    public void Dispose() => Inner.Dispose();
}
