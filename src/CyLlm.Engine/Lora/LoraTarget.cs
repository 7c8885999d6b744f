namespace CyLlm.Engine.Lora;

/// <summary>The projections a LoRA adapter can modify. Values index arrays: frozen.</summary>
public enum LoraTarget
{
    Q = 0,
    K = 1,
    V = 2,
    O = 3,
    Gate = 4,
    Up = 5,
    Down = 6,
}
