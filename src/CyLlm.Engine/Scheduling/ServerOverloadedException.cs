namespace CyLlm.Engine.Scheduling;

/// <summary>The waiting queue is full: the request was rejected at once (OpenAI code server_overloaded).</summary>
public sealed class ServerOverloadedException(string message) : Exception(message);
