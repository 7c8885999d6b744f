using System.Text.Json;
using CyLlm.Engine;
using CyLlm.Engine.Generation;
using CyLlm.Engine.Sampling;
using CyLlm.Engine.Sampling.Grammars;
using CyLlm.Gateway.Disaggregation;
using CyLlm.Gateway.Hosting;
using CyLlm.Gateway.Json;
using CyLlm.Gateway.Tests.Infrastructure;
using CyLlm.Gateway.Workers;

namespace CyLlm.Gateway.Tests.Workers;

/// <summary>What the gateway sends a worker: the prompt's token ids, every sampling setting, the grammar by its source,
/// the adapter's name, the tenant's cache salt and its default priority (resolved at the gateway, which knows the tenant).</summary>
public sealed class WorkerRequestTests
{
    private const string Final = "{\"finish_reason\":\"stop\",\"token_ids\":[],\"text\":\"\",\"prompt_tokens\":3,\"completion_tokens\":0,\"cached_tokens\":0}";

    [Fact]
    public async Task Every_setting_travels_to_the_worker()
    {
        string? seen = null;
        await using var stub = await StubEngineWorker.StartAsync(async ctx =>
        {
            seen = await new StreamReader(ctx.Request.Body).ReadToEndAsync(ctx.RequestAborted);
            ctx.Response.Headers[DecodeWorkRequest.GrammarHeader] = "enforced";
            await StubEngineWorker.LineAsync(ctx, Final);
        });
        using var backend = new RemoteEngineBackend(
            new EngineBackend(InferenceEngine.Load(RepoPaths.StoriesModel, null, new EngineOptions { Threads = 1 }), "stories260K"),
            new WorkerSettings { Urls = [stub.BaseUrl], HeartbeatInterval = TimeSpan.FromMinutes(1) },
            TimeSpan.FromSeconds(30),
            tenantPriorities: new Dictionary<string, int> { ["acme"] = 5 });

        var sampling = new SamplingParams
        {
            Temperature = 0.7f,
            TopP = 0.9f,
            TopK = 40,
            MinP = 0.05f,
            RepetitionPenalty = 1.1f,
            PresencePenalty = 0.2f,
            FrequencyPenalty = 0.3f,
            LogitBias = new Dictionary<int, float> { [7] = -2f },
            Seed = 42,
            MaxTokens = 9,
            MinTokens = 2,
            IgnoreEos = true,
            Stop = ["\n\n"],
            StopTokenIds = [13],
            Logprobs = true,
            TopLogprobs = 3,
            Grammar = Grammar.FromSpec(new GrammarSpec(GrammarKind.Regex, "[a-z]+", null)),
        };
        var result = await backend.Start(new GenerationRequest { PromptTokens = [1, 2, 3], Sampling = sampling, CacheSalt = 99, Adapter = "sql", TenantId = "acme" }, CancellationToken.None).Completion;
        Assert.Equal(FinishReason.Stop, result.FinishReason);

        var work = JsonSerializer.Deserialize<DecodeWorkRequest>(seen!, GatewayJson.Options)!;
        Assert.Equal([1, 2, 3], work.PromptTokens);
        Assert.Equal(0UL, work.BootstrapRoom);
        Assert.Equal(99, work.CacheSalt);
        Assert.Equal((0.7f, 0.9f, 40, 0.05f), (work.Temperature, work.TopP, work.TopK, work.MinP));
        Assert.Equal((1.1f, 0.2f, 0.3f), (work.RepetitionPenalty, work.PresencePenalty, work.FrequencyPenalty));
        Assert.Equal(-2f, work.LogitBias![7]);
        Assert.Equal((42L, 9, 2, true), (work.Seed!.Value, work.MaxTokens, work.MinTokens, work.IgnoreEos));
        Assert.Equal(["\n\n"], work.Stop);
        Assert.Equal([13], work.StopTokenIds);
        Assert.Equal((true, 3), (work.Logprobs, work.TopLogprobs));
        Assert.Equal(("regex", "[a-z]+"), (work.Grammar!.Kind, work.Grammar.Source));
        Assert.Equal("sql", work.Adapter);
        Assert.Equal(5, work.Priority); // the tenant's default: the worker sees no tenant
        Assert.True(work.Stream);

        // An explicit priority wins over the tenant's default.
        await backend.Start(new GenerationRequest { PromptTokens = [1, 2, 3], Priority = -1, TenantId = "acme" }, CancellationToken.None).Completion;
        Assert.Equal(-1, JsonSerializer.Deserialize<DecodeWorkRequest>(seen!, GatewayJson.Options)!.Priority);
    }
}
