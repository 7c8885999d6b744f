using Microsoft.AspNetCore.Http;

namespace CyLlm.Gateway.Audit;

/// <summary>
/// Token usage of one request, for its audit row: handlers call <see cref="Report"/> once the usage is known
/// (non-streaming result, end of a stream, embeddings). A request that never reports (an error, a cut stream)
/// is audited with zero tokens.
/// </summary>
public sealed class RequestUsage
{
    public long PromptTokens { get; private set; }

    public long CompletionTokens { get; private set; }

    /// <summary>Records the request's usage (the last report wins).</summary>
    public static void Report(HttpContext ctx, long promptTokens, long completionTokens)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var usage = ctx.Features.Get<RequestUsage>();
        if (usage is null)
        {
            usage = new RequestUsage();
            ctx.Features.Set(usage);
        }

        usage.PromptTokens = promptTokens;
        usage.CompletionTokens = completionTokens;
    }
}
