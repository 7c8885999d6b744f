using System.Diagnostics;
using System.Text.Json;
using CyLlm.Jobs.Files;
using CyLlm.Training.Checkpoints;

namespace CyLlm.Training.Tests.Trainer;

/// <summary>
/// `cyllm train` as a real process: killed with SIGKILL after a checkpoint, resumed with --resume, it reports exactly
/// the loss curve of an uninterrupted run (same seed, same thread count). Also: bad input gives one error line.
/// </summary>
public sealed class TrainCliCrashTests
{
    private static readonly string[] Texts =
    [
        "Once upon a time there was a little cat.",
        "The dog ran to the park and played with a ball.",
        "Lily liked to eat red apples in the garden.",
        "Tom and Sue went to the sea to swim.",
        "The sun was warm and the birds sang.",
        "A big tree stood next to the small house.",
    ];

    private static ProcessStartInfo Cli(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = TrainTestPaths.RepoRoot };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "cyllm.dll"));
        psi.ArgumentList.Add("train");
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        return psi;
    }

    private static string[] Args(string data, string output, bool resume)
    {
        var a = new List<string>
        {
            "--model", TrainTestPaths.SharedModel("stories260K.gguf"), "--data", data, "--output", output,
            "--lora-rank", "4", "--lora-dropout", "0.1", "--lora-targets", "all", "--epochs", "200", "--batch-size", "2",
            "--lr", "5e-3", "--warmup", "3", "--seed", "77", "--checkpoint-every", "5", "--threads", "2",
        };
        if (resume)
        {
            a.Add("--resume");
        }

        return [.. a];
    }

    private static (int Code, string Out, string Err) RunToEnd(ProcessStartInfo psi)
    {
        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(300_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("cyllm train did not finish in 300 s");
        }

        return (p.ExitCode, o.Result, e.Result);
    }

    private static double[] Losses(string output)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "result.json")));
        return doc.RootElement.GetProperty("losses").EnumerateArray().Select(x => x.GetDouble()).ToArray();
    }

    [Fact]
    public void KilledRun_ResumesWithTheSameLosses()
    {
        string dir = TrainTestPaths.TempDir("cli-crash");
        try
        {
            string data = Path.Combine(dir, "data.jsonl");
            File.WriteAllLines(data, Texts.Select(t => JsonSerializer.Serialize(new { text = t })));

            string a = Path.Combine(dir, "a");
            var full = RunToEnd(Cli(Args(data, a, resume: false)));
            Assert.True(full.Code == 0, full.Err);
            var expected = Losses(a);
            Assert.Equal(600, expected.Length);

            string b = Path.Combine(dir, "b");
            string ckDir = Path.Combine(b, "checkpoints");
            using (var p = Process.Start(Cli(Args(data, b, resume: false)))!)
            {
                p.OutputDataReceived += (_, _) => { };
                p.ErrorDataReceived += (_, _) => { };
                p.BeginOutputReadLine();
                p.BeginErrorReadLine();

                // Wait (polling, not timing) until a checkpoint of step ≥ 10 is complete, then SIGKILL.
                var sw = Stopwatch.StartNew();
                while (!p.HasExited && sw.Elapsed < TimeSpan.FromMinutes(4))
                {
                    var scan = new CheckpointStore(ckDir).FindLatest();
                    if (scan.LatestStep >= 10)
                    {
                        break;
                    }

                    Thread.Sleep(20);
                }

                Assert.False(p.HasExited, "the run finished before it could be killed; the test would prove nothing");
                p.Kill(); // SIGKILL on Unix
                p.WaitForExit();
            }

            Assert.False(File.Exists(Path.Combine(b, "result.json")));
            var killedAt = new CheckpointStore(ckDir).FindLatest();
            Assert.True(killedAt.LatestStep is >= 10 and < 600);

            var resumed = RunToEnd(Cli(Args(data, b, resume: true)));
            Assert.True(resumed.Code == 0, resumed.Err);
            using (var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(b, "result.json"))))
            {
                Assert.True(doc.RootElement.GetProperty("resumed_from_step").GetInt64() >= killedAt.LatestStep);
            }

            Assert.Equal(expected, Losses(b));
            Assert.True(AtomicFile.Verify(Path.Combine(ckDir, CheckpointStore.FileName(600))).IsOk);
            Assert.True(File.Exists(Path.Combine(b, "adapter.gguf")) && File.Exists(Path.Combine(b, "adapter", "adapter_model.safetensors")));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Theory]
    [InlineData("--lora-rank", "0", "LoRA rank")]
    [InlineData("--epochs", "0", "epochs must be at least 1")]
    [InlineData("--lora-targets", "q,zz", "unknown LoRA target 'zz'")]
    [InlineData("--data", "/nonexistent/data.jsonl", "data file not found")]
    public void BadInput_GivesOneErrorLine(string option, string value, string message)
    {
        string dir = TrainTestPaths.TempDir("cli-bad");
        try
        {
            string data = Path.Combine(dir, "data.jsonl");
            File.WriteAllText(data, "{\"text\":\"hello there\"}\n");
            var args = new List<string> { "--model", TrainTestPaths.SharedModel("stories260K.gguf"), "--data", data, "--output", Path.Combine(dir, "o") };
            int i = args.IndexOf(option);
            if (i >= 0)
            {
                args[i + 1] = value;
            }
            else
            {
                args.Add(option);
                args.Add(value);
            }

            var r = RunToEnd(Cli([.. args]));
            Assert.NotEqual(0, r.Code);
            var lines = r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Single(lines);
            Assert.Contains(message, lines[0]);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void FromScratch_TrainsAndExportsAGgufThatGenerates()
    {
        string dir = TrainTestPaths.TempDir("cli-scratch");
        try
        {
            string data = Path.Combine(dir, "data.jsonl");
            File.WriteAllLines(data, Texts.Select(t => JsonSerializer.Serialize(new { text = t })));
            string cfg = Path.Combine(dir, "model.json");
            File.WriteAllText(cfg, """{"dim": 32, "hidden_dim": 64, "layers": 2, "heads": 4, "kv_heads": 2, "context_length": 64}""");
            string output = Path.Combine(dir, "out");
            var r = RunToEnd(Cli("--model", TrainTestPaths.SharedModel("stories260K.gguf"), "--from-scratch", cfg, "--data", data, "--output", output,
                "--epochs", "40", "--batch-size", "2", "--lr", "1e-2", "--seed", "3", "--threads", "2", "--checkpoint-every", "0"));
            Assert.True(r.Code == 0, r.Err);
            var losses = Losses(output);
            Assert.True(losses[^1] < losses[0] / 2, $"loss {losses[0]:F3} → {losses[^1]:F3}");
            using var engine = CyLlm.Engine.InferenceEngine.Load(Path.Combine(output, "model.gguf"));
            Assert.Equal(32, engine.Config.Dim);
            Assert.Equal(2, engine.Config.KvHeads);
            var gen = engine.Generate(new CyLlm.Engine.Generation.GenerationRequest
            {
                Prompt = "Once upon a time",
                Sampling = new CyLlm.Engine.Sampling.SamplingParams { Temperature = 0, MaxTokens = 8 },
            });
            Assert.NotEmpty(gen.TokenIds);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
