using System.Text.Json;
using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Endpoints.Shared;
using CyLlm.Gateway.Errors;
using CyLlm.Gateway.Hosting;
using CyLlm.Gateway.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CyLlm.Gateway.Endpoints.Embeddings;

/// <summary>POST /v1/embeddings: mean-pooled final hidden states, L2-normalized.</summary>
public static class EmbeddingRoutes
{
    private const int MaxInputs = 256;

    public static IEndpointRouteBuilder MapEmbeddings(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/embeddings", async (HttpContext ctx) =>
        {
            var state = ctx.RequestServices.GetRequiredService<GatewayState>();
            var req = await RequestReader.ReadAsync<EmbeddingRequest>(ctx, state.Options.MaxBodyBytes);
            if (req.Extra is { Count: > 0 })
            {
                throw ApiError.Unsupported(req.Extra.Keys.First());
            }

            if (req.Dimensions is not null)
            {
                throw ApiError.Unsupported("dimensions");
            }

            bool base64 = req.EncodingFormat switch
            {
                null or "float" => false,
                "base64" => true,
                _ => throw ApiError.BadRequest($"encoding_format must be 'float' or 'base64', not '{req.EncodingFormat}'", "encoding_format"),
            };
            var (backend, _) = await state.ResolveModelForAsync(ctx, req.Model);
            var inputs = Inputs(req.Input, backend);
            var data = new List<EmbeddingItem>(inputs.Count);
            long tokens = 0;
            for (int i = 0; i < inputs.Count; i++)
            {
                if (inputs[i].Length > backend.ContextTokens)
                {
                    throw new ApiError(400, ErrorCodes.ContextLengthExceeded,
                        $"input[{i}] has {inputs[i].Length} tokens but the model's context is {backend.ContextTokens}. Fix: shorten or split the input", "input");
                }

                tokens += inputs[i].Length;
            }

            if (tokens > state.Options.MaxEmbeddingTokens)
            {
                throw new ApiError(400, ErrorCodes.InvalidRequest,
                    $"the inputs have {tokens} tokens in all; one embeddings request takes at most {state.Options.MaxEmbeddingTokens} (Gateway:MaxEmbeddingTokens). Fix: send fewer or shorter inputs per request", "input");
            }

            // Through the model's embedding queue, bounded by --max-queue and the request's deadlines; a client that
            // goes away cancels it while waiting or between inputs.
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted);
            deadline.CancelAfter(state.Options.RequestTimeout);
            float[][] vectors;
            try
            {
                vectors = await EmbeddingGate.For(backend).EmbedAsync(backend, inputs, state.Options.MaxQueue, deadline.Token);
            }
            catch (OperationCanceledException) when (!ctx.RequestAborted.IsCancellationRequested)
            {
                throw new ApiError(504, ErrorCodes.Timeout,
                    $"The embeddings request took longer than the request timeout of {state.Options.RequestTimeout.TotalSeconds:0.###} s. Fix: send fewer inputs per request, or raise --request-timeout");
            }

            for (int i = 0; i < vectors.Length; i++)
            {
                var vector = vectors[i];
                data.Add(new EmbeddingItem("embedding", i, base64 ? Convert.ToBase64String(System.Runtime.InteropServices.MemoryMarshal.AsBytes(vector.AsSpan())) : vector));
            }

            CyLlm.Gateway.Audit.RequestUsage.Report(ctx, (int)tokens, 0);
            return JsonResults.Ok(new EmbeddingResponse("list", data, backend.ModelId, new EmbeddingUsage((int)tokens, (int)tokens)));
        });
        return app;
    }

    private static List<int[]> Inputs(JsonElement input, IInferenceBackend backend)
    {
        var list = new List<int[]>();
        switch (input.ValueKind)
        {
            case JsonValueKind.String:
                list.Add(backend.Encode(input.GetString()!));
                break;
            case JsonValueKind.Array when input.GetArrayLength() == 0:
                throw ApiError.BadRequest("input must not be empty", "input");
            case JsonValueKind.Array when input[0].ValueKind == JsonValueKind.Number:
                list.Add(TokenIds(input, "input", backend));
                break;
            case JsonValueKind.Array:
                int i = 0;
                foreach (var e in input.EnumerateArray())
                {
                    list.Add(e.ValueKind switch
                    {
                        JsonValueKind.String => backend.Encode(e.GetString()!),
                        JsonValueKind.Array => TokenIds(e, $"input[{i}]", backend),
                        _ => throw ApiError.BadRequest($"input[{i}] must be a string or an array of token ids", $"input[{i}]"),
                    });
                    i++;
                }

                break;
            default:
                throw ApiError.BadRequest("input is required: a string, an array of strings, or token ids", "input");
        }

        if (list.Count > MaxInputs)
        {
            throw ApiError.BadRequest($"at most {MaxInputs} inputs per request", "input");
        }

        for (int i = 0; i < list.Count; i++)
        {
            if (list[i].Length == 0)
            {
                throw ApiError.BadRequest($"input[{i}] is empty", "input");
            }
        }

        return list;
    }

    private static int[] TokenIds(JsonElement array, string param, IInferenceBackend backend)
    {
        var ids = new int[array.GetArrayLength()];
        int i = 0;
        foreach (var e in array.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out int id) || (uint)id >= (uint)backend.VocabSize)
            {
                throw ApiError.BadRequest($"{param}[{i}] is not a token id of this model (0..{backend.VocabSize - 1})", $"{param}[{i}]");
            }

            ids[i++] = id;
        }

        return ids;
    }
}
