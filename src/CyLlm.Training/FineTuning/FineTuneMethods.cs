namespace CyLlm.Training.FineTuning;

/// <summary>Training methods a job may ask for; persisted in job specs as these strings: frozen.</summary>
public static class FineTuneMethods
{
    public const string Lora = "lora";
    public const string Full = "full";

    public static readonly IReadOnlyList<string> All = [Lora, Full];
}
