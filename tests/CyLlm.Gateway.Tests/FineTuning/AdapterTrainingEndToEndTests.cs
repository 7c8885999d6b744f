using System.Text.Json;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests.FineTuning;

/// <summary>
/// The whole loop on a real model: upload a chat dataset that always answers the same way, fine-tune a LoRA adapter
/// through the API with the built-in trainer, then chat with the new model without restarting the server.
/// </summary>
public sealed class AdapterTrainingEndToEndTests
{
    [Fact]
    public async Task A_trained_adapter_changes_the_served_answers_and_the_base_model_stays_the_same()
    {
        await using var s = await LiveServer.StartStoriesAsync();
        const string probe = "What does the cat do?";
        string baseBefore = await CatAdapterJob.Chat(s, "stories260K", probe);
        Assert.DoesNotContain("mat", baseBefore);

        var (id, done) = await CatAdapterJob.TrainAsync(s);
        string tuned = done.GetProperty("fine_tuned_model").GetString()!;
        Assert.Equal($"ft:stories260K:cat:{id}", tuned);

        var models = await CatAdapterJob.Json(await s.Http.GetAsync("/v1/models"));
        Assert.Contains(models.GetProperty("data").EnumerateArray(), m => m.GetProperty("id").GetString() == tuned);

        string adapted = await CatAdapterJob.Chat(s, tuned, probe);
        Assert.StartsWith(CatAdapterJob.Answer, adapted.TrimStart());
        Assert.Equal(baseBefore, await CatAdapterJob.Chat(s, "stories260K", probe));

        var events = await CatAdapterJob.Json(await s.Http.GetAsync($"/v1/fine_tuning/jobs/{id}/events?limit=100"));
        var metrics = events.GetProperty("data").EnumerateArray().Where(e => e.GetProperty("type").GetString() == "metrics").ToList();
        Assert.NotEmpty(metrics);
        double lastLoss = metrics[0].GetProperty("data").GetProperty("train_loss").GetDouble();
        double firstLoss = metrics[^1].GetProperty("data").GetProperty("train_loss").GetDouble();
        Assert.True(lastLoss < firstLoss / 2, $"training loss went from {firstLoss} to {lastLoss}");
    }
}
