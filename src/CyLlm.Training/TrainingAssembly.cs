namespace CyLlm.Training;

/// <summary>Marker for the training assembly (datasets, backward passes, optimizers, checkpoints, the trainer).</summary>
public static class TrainingAssembly
{
    public const string Name = "CyLlm.Training";
}
