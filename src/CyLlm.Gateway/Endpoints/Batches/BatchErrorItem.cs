namespace CyLlm.Gateway.Endpoints.Batches;

/// <summary>One batch error; <see cref="Line"/> is the 1-based input line when the error names one.</summary>
public sealed record BatchErrorItem(string Code, string Message, string? Param, int? Line);
