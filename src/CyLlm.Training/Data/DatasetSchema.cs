namespace CyLlm.Training.Data;

/// <summary>The row layout of a dataset, detected per file from its first valid row and enforced for every row.</summary>
public enum DatasetSchema
{
    /// <summary><c>{"messages":[{"role":"system|user|assistant","content":"...","weight":0|1}]}</c> (OpenAI fine-tuning).</summary>
    OpenAiChat,

    /// <summary><c>{"conversations":[{"from":"system|human|gpt","value":"..."}]}</c>.</summary>
    ShareGpt,

    /// <summary><c>{"instruction":"...","input":"...","output":"..."}</c> (Alpaca); input is optional.</summary>
    Instruction,

    /// <summary><c>{"text":"..."}</c>: plain text for training from scratch, every token a target.</summary>
    Text,
}
