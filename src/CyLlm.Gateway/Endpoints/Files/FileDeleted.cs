namespace CyLlm.Gateway.Endpoints.Files;

/// <summary>Answer of DELETE /v1/files/{id}.</summary>
public sealed record FileDeleted(string Id, string Object, bool Deleted);
