using System.Text.Encodings.Web;
using System.Text.Json;

namespace CyLlm.Gateway.Json;

/// <summary>Serializer settings shared by requests and responses: OpenAI's snake_case names.</summary>
public static class GatewayJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        // Output goes to API clients, not HTML pages: keep non-ASCII text readable.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        // Requests are strict: "1" is not a number and "temperature" is not "Temperature".
        PropertyNameCaseInsensitive = false,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict,
        MaxDepth = RequestReader.MaxJsonDepth,
    };
}
