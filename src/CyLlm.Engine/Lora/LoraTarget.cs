namespace CyLlm.Engine.Lora;

/// <summary>The projections a LoRA adapter can modify. Values index arrays: frozen (new ones only at the end).</summary>
public enum LoraTarget
{
    Q = 0,
    K = 1,
    V = 2,
    O = 3,
    Gate = 4,
    Up = 5,
    Down = 6,

    /// <summary>
    /// The output head (lm_head, [vocab, dim]; not per layer). PEFT's "all-linear" leaves it out; targeting it lets an
    /// adapter move the logits of tokens the base model never learned to emit (a story model's '{' or '&lt;').
    /// </summary>
    Output = 7,
}
