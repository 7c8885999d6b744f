namespace CyLlm.Gateway.Endpoints.FineTuning;

/// <summary>OpenAI's <c>fine_tuning.job.event</c>: <c>type</c> is <c>message</c> or <c>metrics</c> (with <c>data</c>).</summary>
public sealed record FineTuningEventObject(string Object, string Id, long CreatedAt, string Level, string Message, object? Data, string Type);
