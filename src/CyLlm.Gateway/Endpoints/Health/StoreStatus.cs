namespace CyLlm.Gateway.Endpoints.Health;

/// <summary>The durable store: provider (sqlite, postgresql), location (never a password) and data folder.</summary>
public sealed record StoreStatus(string Provider, string Location, string DataDirectory);
