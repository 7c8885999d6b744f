using System.Text.Json;

namespace CyLlm.Engine.Tests;

/// <summary>A golden file written by scripts/golden/llama_cpp_greedy.sh (../shared/peer/bench.mjs --mode tokens).</summary>
internal sealed class LlamaCppGolden
{
    public required int[] Input { get; init; }
    public required int[] Generated { get; init; }
    public required (int Id, float Logit)[] TopLastPrompt { get; init; }
    public required (int Id, float Logit)[][] TopSteps { get; init; }

    public static LlamaCppGolden Load(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(TestPaths.TestData(Path.Combine("llamacpp", name))));
        var root = doc.RootElement;
        static (int, float)[] Top(JsonElement e) => e.EnumerateArray().Select(p => (p[0].GetInt32(), p[1].GetSingle())).ToArray();
        return new LlamaCppGolden
        {
            Input = root.GetProperty("input").EnumerateArray().Select(x => x.GetInt32()).ToArray(),
            Generated = root.GetProperty("generated").EnumerateArray().Select(x => x.GetInt32()).ToArray(),
            TopLastPrompt = Top(root.GetProperty("top_logits_last_prompt_pos")),
            TopSteps = root.GetProperty("top_logits_steps").EnumerateArray().Select(Top).ToArray(),
        };
    }

    /// <summary>Generated steps before the first one whose top-2 gap in llama.cpp is under <paramref name="gap"/>.</summary>
    public int StepsBeforeFirstGapBelow(float gap)
    {
        for (int i = 0; i < TopSteps.Length && i < Generated.Length; i++)
        {
            if (TopSteps[i].Length < 2 || TopSteps[i][0].Logit - TopSteps[i][1].Logit < gap)
            {
                return i;
            }
        }

        return Math.Min(TopSteps.Length, Generated.Length);
    }
}
