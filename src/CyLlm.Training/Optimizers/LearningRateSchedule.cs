namespace CyLlm.Training.Optimizers;

/// <summary>Linear warm-up from 0 to <c>peak</c> over <c>warmup</c> steps, then cosine decay to <c>peak·minRatio</c> at <c>total</c>.</summary>
public static class LearningRateSchedule
{
    /// <summary>The rate for update number <paramref name="step"/> (0-based).</summary>
    public static float At(long step, long total, long warmup, float peak, float minRatio)
    {
        if (warmup > 0 && step < warmup)
        {
            return peak * (step + 1) / warmup;
        }

        long decaySteps = Math.Max(1, total - warmup);
        double progress = Math.Clamp((double)(step - warmup) / decaySteps, 0, 1);
        double cos = 0.5 * (1 + Math.Cos(Math.PI * progress));
        return (float)(peak * (minRatio + ((1 - minRatio) * cos)));
    }
}
