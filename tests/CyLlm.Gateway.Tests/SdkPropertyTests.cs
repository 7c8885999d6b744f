using System.ClientModel;
using System.ClientModel.Primitives;
using CsCheck;
using CyLlm.Gateway.Tests.Infrastructure;
using OpenAI;
using OpenAI.Chat;

namespace CyLlm.Gateway.Tests;

/// <summary>
/// Properties over the OpenAI SDK: every valid combination of sampling parameters reaches the engine unchanged, and
/// every message list reaches the chat template with its roles and order intact (the fake backend records both).
/// </summary>
public sealed class SdkPropertyTests : IAsyncLifetime
{
    private readonly FakeBackend _fake = new();
    private LiveServer _server = null!;
    private ChatClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await LiveServer.StartFakeAsync(_fake);
        _client = new ChatClient("fake", new ApiKeyCredential("x"), new OpenAIClientOptions
        {
            Endpoint = new Uri(_server.BaseUrl + "/v1"),
            RetryPolicy = new ClientRetryPolicy(0),
        });
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static readonly Gen<string> Word = Gen.Char["abcdefghijklmnopqrstuvwxyz0123456789 .,!?"].Array[1, 12].Select(c => new string(c));

    /// <summary>Valid values only: each in the range the engine accepts; null = not sent (engine default).</summary>
    private static readonly Gen<(float? Temperature, float? TopP, float? Presence, float? Frequency, int Max, long? Seed, string[] Stops, (int Id, int Bias)[] Bias)> Sampling =
        Gen.Select(
            Gen.Float[0f, 2f].Nullable(),
            Gen.Float[0.001f, 1f].Nullable(),
            Gen.Float[-2f, 2f].Nullable(),
            Gen.Float[-2f, 2f].Nullable(),
            Gen.Int[1, 40],
            Gen.Long[0, long.MaxValue].Nullable(),
            Word.Array[0, 4],
            Gen.Select(Gen.Int[0, 127], Gen.Int[-100, 100]).Array[0, 5]);

    [Fact]
    public void Every_valid_sampling_combination_reaches_the_engine_unchanged()
    {
        Sampling.Sample(s =>
        {
#pragma warning disable OPENAI001 // Seed is experimental in the SDK.
            var options = new ChatCompletionOptions
            {
                Temperature = s.Temperature,
                TopP = s.TopP,
                PresencePenalty = s.Presence,
                FrequencyPenalty = s.Frequency,
                MaxOutputTokenCount = s.Max,
                Seed = s.Seed,
            };
#pragma warning restore OPENAI001
            foreach (string stop in s.Stops)
            {
                options.StopSequences.Add(stop);
            }

            var bias = new Dictionary<int, int>();
            foreach (var (id, b) in s.Bias)
            {
                bias[id] = b;
            }

            foreach (var (id, b) in bias)
            {
                options.LogitBiases[id] = b;
            }

            var result = _client.CompleteChat([new UserChatMessage("hi")], options);
            Assert.Equal(s.Max, result.Value.Usage.OutputTokenCount);
            var p = _fake.LastRequest!.Sampling;
            Assert.Equal(s.Temperature ?? 1f, p.Temperature);
            Assert.Equal(s.TopP ?? 1f, p.TopP);
            Assert.Equal(s.Presence ?? 0f, p.PresencePenalty);
            Assert.Equal(s.Frequency ?? 0f, p.FrequencyPenalty);
            Assert.Equal(s.Max, p.MaxTokens);
            Assert.Equal(s.Seed, p.Seed);
            Assert.Equal(s.Stops, p.Stop);
            if (bias.Count == 0)
            {
                Assert.True(p.LogitBias is null || p.LogitBias.Count == 0);
            }
            else
            {
                Assert.Equal(bias.OrderBy(kv => kv.Key).Select(kv => (kv.Key, (float)kv.Value)), p.LogitBias!.OrderBy(kv => kv.Key).Select(kv => (kv.Key, kv.Value)));
            }
        }, iter: 60, threads: 1);
    }

    [Fact]
    public void Every_message_list_reaches_the_template_with_roles_and_order_preserved()
    {
        var message = Gen.Select(Gen.Int[0, 3], Word);
        message.Array[1, 8].Sample(list =>
        {
            var sent = list.Select(m => m.Item1 switch
            {
                0 => (ChatMessage)new SystemChatMessage(m.Item2),
                1 => new UserChatMessage(m.Item2),
                2 => new AssistantChatMessage(m.Item2),
#pragma warning disable OPENAI001 // DeveloperChatMessage is experimental in the SDK.
                _ => new DeveloperChatMessage(m.Item2),
#pragma warning restore OPENAI001
            }).ToList();
            _client.CompleteChat(sent, new ChatCompletionOptions { MaxOutputTokenCount = 1 });
            var seen = _fake.LastMessages!;
            Assert.Equal(list.Length, seen.Count);
            for (int i = 0; i < list.Length; i++)
            {
                // "developer" is rendered as "system" (the templates know no developer role).
                string role = list[i].Item1 switch { 0 or 3 => "system", 1 => "user", _ => "assistant" };
                Assert.Equal(role, seen[i].Role);
                Assert.Equal(list[i].Item2, seen[i].Content);
            }
        }, iter: 60, threads: 1);
    }
}
