using System.Diagnostics;
using CyLlm.Training.Data;
using CyLlm.Training.Lora;
using CyLlm.Training.Model;
using CyLlm.Training.Optimizers;

namespace CyLlm.Training;

/// <summary>Training throughput on random tokens: full optimizer steps vs forward passes over the same batches.</summary>
public static class TrainingBenchmark
{
    public sealed record Result(
        string Mode,
        int BatchSize,
        int SequenceLength,
        int Steps,
        long TrainableParameters,
        long TotalParameters,
        double TrainTokensPerSecond,
        double ForwardTokensPerSecond,
        double StepOverForward,
        double TrainCpuSeconds,
        double ForwardCpuSeconds,
        long PeakRssBytes);

    /// <summary>Runs one warm-up step, then <paramref name="steps"/> timed steps and as many timed forward passes.</summary>
    public static Result Run(LlamaTrainingModel model, LoraSettings? lora, int batchSize, int seqLen, int steps, long seed = 1)
    {
        if (lora is not null && model.LoraSettings is null)
        {
            model.AttachLora(lora, seed);
        }

        var rng = TrainingRng.Derive(seed, 30);
        var batches = new List<TrainingBatch>();
        for (int s = 0; s <= steps; s++)
        {
            var ex = new List<TrainingExample>();
            for (int b = 0; b < batchSize; b++)
            {
                var tokens = new int[seqLen];
                for (int i = 0; i < seqLen; i++)
                {
                    tokens[i] = rng.NextInt(model.Config.VocabSize);
                }

                var mask = new bool[seqLen];
                Array.Fill(mask, true);
                ex.Add(new TrainingExample(tokens, mask, b));
            }

            batches.Add(new TrainingBatch(ex, seqLen));
        }

        var opt = new AdamW(model.TrainableParameters(), pool: model.Pool);
        void Step(TrainingBatch b)
        {
            model.ZeroGrad();
            model.ForwardBackward(b, 1f / b.CountedTokens, 1);
            opt.Update(1e-4f, 1f);
        }

        Step(batches[0]);
        model.Forward(batches[0], training: false);
        // CPU time is reported too: on a shared machine wall time includes waiting for a core.
        using var me = Process.GetCurrentProcess();
        var cpu0 = me.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        for (int s = 1; s <= steps; s++)
        {
            Step(batches[s]);
        }

        double trainSecs = sw.Elapsed.TotalSeconds;
        me.Refresh();
        var cpu1 = me.TotalProcessorTime;
        sw.Restart();
        for (int s = 1; s <= steps; s++)
        {
            model.Forward(batches[s], training: false);
        }

        double fwdSecs = sw.Elapsed.TotalSeconds;
        me.Refresh();
        var cpu2 = me.TotalProcessorTime;
        long total = (long)steps * batchSize * seqLen;
        using var proc = Process.GetCurrentProcess();
        proc.Refresh();
        return new Result(lora is null ? "full" : "lora", batchSize, seqLen, steps, model.ParameterCount(true), model.ParameterCount(false),
            total / trainSecs, total / fwdSecs, trainSecs / fwdSecs, (cpu1 - cpu0).TotalSeconds, (cpu2 - cpu1).TotalSeconds, proc.PeakWorkingSet64);
    }
}
