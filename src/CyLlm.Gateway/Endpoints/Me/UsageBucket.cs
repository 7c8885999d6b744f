namespace CyLlm.Gateway.Endpoints.Me;

/// <summary>One time bucket of a key's usage from the audit log: requests (and how many failed, status 400 and up) and
/// tokens. <paramref name="Start"/> is Unix seconds at the bucket's start.</summary>
public sealed record UsageBucket(long Start, long Requests, long Errors, long PromptTokens, long CompletionTokens);
