using CyLlm.Gateway.Json;
using Microsoft.AspNetCore.Http;

namespace CyLlm.Gateway.Endpoints.Shared;

/// <summary>JSON results with the gateway's serializer settings (snake_case).</summary>
public static class JsonResults
{
    public static IResult Ok<T>(T value) => Results.Json(value, GatewayJson.Options);

    public static IResult Status<T>(T value, int status) => Results.Json(value, GatewayJson.Options, statusCode: status);
}
