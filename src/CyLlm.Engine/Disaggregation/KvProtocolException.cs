namespace CyLlm.Engine.Disaggregation;

/// <summary>A malformed frame or message: the connection is closed and its rooms fail.</summary>
public sealed class KvProtocolException(string message) : Exception(message);
