namespace CyLlm.Training.FineTuning;

/// <summary>The job's input cannot be trained on (bad file, bad rows, unknown model); the job fails with this error.</summary>
/// <param name="code">Stable snake_case code stored on the failed task, e.g. <c>invalid_training_file</c>.</param>
public sealed class FineTuneDataException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}
