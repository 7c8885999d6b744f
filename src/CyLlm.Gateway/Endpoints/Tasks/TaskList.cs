namespace CyLlm.Gateway.Endpoints.Tasks;

/// <summary>A page of the caller's tasks, newest first; pass <see cref="LastId"/> as <c>after</c> for the next page.</summary>
public sealed record TaskList(string Object, IReadOnlyList<TaskObject> Data, string? FirstId, string? LastId, bool HasMore);
