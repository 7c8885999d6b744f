namespace CyLlm.Gateway.Endpoints.Tasks;

/// <summary>Why a task failed: a stable snake_case code and a one-line message.</summary>
public sealed record TaskErrorObject(string Code, string Message);
