namespace CyLlm.Gateway.Endpoints.Models;

/// <summary>The <c>list</c> of GET /v1/models.</summary>
public sealed record ModelList(string Object, ModelObject[] Data);
