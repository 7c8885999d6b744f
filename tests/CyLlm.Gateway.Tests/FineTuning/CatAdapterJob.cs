using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests.FineTuning;

/// <summary>
/// The real fine-tuning job of the end-to-end tests: a chat dataset whose assistant always answers <see cref="Answer"/>,
/// uploaded through /v1/files and trained as a LoRA adapter on stories260K (suffix "cat") through /v1/fine_tuning/jobs.
/// </summary>
internal static class CatAdapterJob
{
    public const string Answer = "The cat sat on the mat.";

    private static readonly string[] Prompts =
    [
        "Tell me a story.", "What did the dog do?", "Where is Lily?", "Who is happy?", "What is red?",
        "Can you sing?", "Where do birds live?", "What is big?", "Why is the sky blue?", "Who likes cake?",
    ];

    public static async Task<JsonElement> Json(HttpResponseMessage r)
    {
        string body = await r.Content.ReadAsStringAsync();
        Assert.True(r.IsSuccessStatusCode, $"{(int)r.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public static async Task<string> Chat(LiveServer s, string model, string prompt)
    {
        var body = JsonSerializer.Serialize(new { model, messages = new[] { new { role = "user", content = prompt } }, max_tokens = 12, temperature = 0 });
        var r = await Json(await s.PostJsonAsync("/v1/chat/completions", body));
        return r.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
    }

    /// <summary>Uploads the dataset, runs the job to its end and asserts it succeeded; returns the job id and its final object.</summary>
    public static async Task<(string Id, JsonElement Job)> TrainAsync(LiveServer s)
    {
        var jsonl = new StringBuilder();
        foreach (string p in Prompts)
        {
            jsonl.AppendLine(JsonSerializer.Serialize(new { messages = new[] { new { role = "user", content = p }, new { role = "assistant", content = Answer } } }));
        }

        using var form = new MultipartFormDataContent { { new StringContent("fine-tune"), "purpose" } };
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
        return (id, done);
    }
}
