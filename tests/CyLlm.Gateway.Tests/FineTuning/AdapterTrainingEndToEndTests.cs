using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests.FineTuning;

/// <summary>
/// The whole loop on a real model: upload a chat dataset that always answers the same way, fine-tune a LoRA adapter
/// through the API with the built-in trainer, then chat with the new model without restarting the server.
/// </summary>
public sealed class AdapterTrainingEndToEndTests
{
    private const string Answer = "The cat sat on the mat.";

    private static readonly string[] Prompts =
    [
        "Tell me a story.", "What did the dog do?", "Where is Lily?", "Who is happy?", "What is red?",
        "Can you sing?", "Where do birds live?", "What is big?", "Why is the sky blue?", "Who likes cake?",
    ];

    private static async Task<JsonElement> Json(HttpResponseMessage r)
    {
        string body = await r.Content.ReadAsStringAsync();
        Assert.True(r.IsSuccessStatusCode, $"{(int)r.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static async Task<string> Chat(LiveServer s, string model, string prompt)
    {
        var body = JsonSerializer.Serialize(new { model, messages = new[] { new { role = "user", content = prompt } }, max_tokens = 12, temperature = 0 });
        var r = await Json(await s.PostJsonAsync("/v1/chat/completions", body));
        return r.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
    }

    [Fact]
    public async Task A_trained_adapter_changes_the_served_answers_and_the_base_model_stays_the_same()
    {
        await using var s = await LiveServer.StartStoriesAsync();
        const string probe = "What does the cat do?";
        string baseBefore = await Chat(s, "stories260K", probe);
        Assert.DoesNotContain("mat", baseBefore);

        var jsonl = new StringBuilder();
        foreach (string p in Prompts)
        {
            jsonl.AppendLine(JsonSerializer.Serialize(new { messages = new[] { new { role = "user", content = p }, new { role = "assistant", content = Answer } } }));
        }

        using var form = new MultipartFormDataContent
        {
            { new StringContent("fine-tune"), "purpose" },
        };
        var file = new ByteArrayContent(Encoding.UTF8.GetBytes(jsonl.ToString()));
        file.Headers.ContentType = new MediaTypeHeaderValue("application/jsonl");
        form.Add(file, "file", "train.jsonl");
        string fileId = (await Json(await s.Http.PostAsync("/v1/files", form))).GetProperty("id").GetString()!;

        var job = await Json(await s.PostJsonAsync("/v1/fine_tuning/jobs", JsonSerializer.Serialize(new
        {
            model = "stories260K",
            training_file = fileId,
            suffix = "cat",
            seed = 3,
            hyperparameters = new { n_epochs = 40, batch_size = 2, learning_rate_multiplier = 5 },
            lora = new { rank = 8, alpha = 16, target_modules = new[] { "q", "k", "v", "o", "gate", "up", "down" } },
        })));
        string id = job.GetProperty("id").GetString()!;
        JsonElement done = default;
        for (int i = 0; i < 2400; i++)
        {
            done = await Json(await s.Http.GetAsync($"/v1/fine_tuning/jobs/{id}"));
            if (done.GetProperty("status").GetString() is "succeeded" or "failed" or "cancelled")
            {
                break;
            }

            await Task.Delay(50);
        }

        Assert.True(done.GetProperty("status").GetString() == "succeeded", done.ToString());
        string tuned = done.GetProperty("fine_tuned_model").GetString()!;
        Assert.Equal($"ft:stories260K:cat:{id}", tuned);

        var models = await Json(await s.Http.GetAsync("/v1/models"));
        Assert.Contains(models.GetProperty("data").EnumerateArray(), m => m.GetProperty("id").GetString() == tuned);

        string adapted = await Chat(s, tuned, probe);
        Assert.StartsWith(Answer, adapted.TrimStart());
        Assert.Equal(baseBefore, await Chat(s, "stories260K", probe));

        var events = await Json(await s.Http.GetAsync($"/v1/fine_tuning/jobs/{id}/events?limit=100"));
        var metrics = events.GetProperty("data").EnumerateArray().Where(e => e.GetProperty("type").GetString() == "metrics").ToList();
        Assert.NotEmpty(metrics);
        double lastLoss = metrics[0].GetProperty("data").GetProperty("train_loss").GetDouble();
        double firstLoss = metrics[^1].GetProperty("data").GetProperty("train_loss").GetDouble();
        Assert.True(lastLoss < firstLoss / 2, $"training loss went from {firstLoss} to {lastLoss}");
    }
}
