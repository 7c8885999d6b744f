using CyLlm.Gateway.Endpoints.Shared;

namespace CyLlm.Gateway.Endpoints.Chat;

/// <summary>The <c>chat.completion</c> response object.</summary>
public sealed record ChatCompletion(string Id, string Object, long Created, string Model, ChatChoice[] Choices, Usage Usage, string? SystemFingerprint);
