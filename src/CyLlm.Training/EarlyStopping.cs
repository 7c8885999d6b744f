namespace CyLlm.Training;

/// <summary>
/// Stops when <see cref="Patience"/> consecutive evaluations fail to beat the best loss by more than
/// <see cref="MinDelta"/>. Patience 0 never stops. State (best, bad count) is checkpointed.
/// </summary>
public sealed class EarlyStopping(int patience, double minDelta)
{
    public int Patience { get; } = patience;
    public double MinDelta { get; } = minDelta;
    public double Best { get; set; } = double.PositiveInfinity;
    public int BadEvaluations { get; set; }

    /// <summary>Records one evaluation; true when training should stop now.</summary>
    public bool Observe(double loss)
    {
        if (loss < Best - MinDelta)
        {
            Best = loss;
            BadEvaluations = 0;
        }
        else
        {
            BadEvaluations++;
        }

        return Patience > 0 && BadEvaluations >= Patience;
    }
}
