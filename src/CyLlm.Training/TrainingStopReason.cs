namespace CyLlm.Training;

/// <summary>Why a run ended.</summary>
public enum TrainingStopReason
{
    /// <summary>All epochs (or MaxSteps) done.</summary>
    Completed,

    /// <summary>Validation loss stopped improving for `patience` evaluations.</summary>
    EarlyStopping,

    /// <summary>The cancellation token fired; the step in flight finished and a checkpoint was kept.</summary>
    Cancelled,
}
