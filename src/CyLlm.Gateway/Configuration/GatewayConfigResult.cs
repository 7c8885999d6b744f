namespace CyLlm.Gateway.Configuration;

/// <summary>Options after layering defaults, the settings file, CYLLM_ environment variables and CLI flags.</summary>
/// <param name="Errors">Every problem found (binding and validation), each naming its setting; empty = start.</param>
/// <param name="Sources">The layers that were read, lowest precedence first (for the start-up log).</param>
public sealed record GatewayConfigResult(GatewayOptions Options, IReadOnlyList<string> Errors, IReadOnlyList<string> Sources);
