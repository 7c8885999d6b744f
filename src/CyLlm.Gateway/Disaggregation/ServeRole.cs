namespace CyLlm.Gateway.Disaggregation;

/// <summary>What a <c>cyllm serve</c> process does in disaggregated serving (docs/disaggregation.md).</summary>
public enum ServeRole
{
    /// <summary>Co-located prefill and decode (the default); with prefill and decode workers configured, also the router.</summary>
    Both,

    /// <summary>Computes prompts' KV and sends it to decode workers (POST /internal/disaggregation/prefill).</summary>
    Prefill,

    /// <summary>Receives KV from prefill workers and generates (POST /internal/disaggregation/decode).</summary>
    Decode,
}
