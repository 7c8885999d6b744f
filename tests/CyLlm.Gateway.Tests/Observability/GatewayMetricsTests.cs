using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests.Observability;

/// <summary>The gateway's Prometheus series carry model and tenant labels. Counts are lower bounds: servers of
/// other tests in this process share the meter name, so their measurements may be aggregated in too.</summary>
public sealed class GatewayMetricsTests
{
    [Fact]
    public async Task Requests_latency_and_tokens_are_exported_with_model_and_tenant_labels()
    {
        await using var server = await LiveServer.StartFakeAsync(new FakeBackend());
        using (var r = await server.PostJsonAsync("/v1/completions", "{\"model\":\"fake\",\"prompt\":\"hi\",\"max_tokens\":4}"))
        {
            Assert.Equal(200, (int)r.StatusCode);
        }

        using (var s = await server.PostJsonAsync("/v1/chat/completions", "{\"model\":\"fake\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":4,\"stream\":true}"))
        {
            await s.Content.ReadAsStringAsync();
        }

        using (var missing = await server.PostJsonAsync("/v1/completions", "{\"model\":\"nope\",\"prompt\":\"hi\"}"))
        {
            Assert.Equal(404, (int)missing.StatusCode);
        }

        string m = await server.Http.GetStringAsync("/metrics");
        Assert.Matches("cyllm_gateway_requests_total\\{[^}]*endpoint=\"/v1/completions\"[^}]*model=\"fake\"[^}]*status=\"200\"[^}]*tenant=\"default\"[^}]*\\} [1-9]", m);
        Assert.Matches("cyllm_gateway_requests_total\\{[^}]*status=\"404\"[^}]*\\} [1-9]", m);
        Assert.Matches("cyllm_gateway_request_duration_seconds_bucket\\{[^}]*model=\"fake\"", m);
        Assert.Matches("cyllm_gateway_generation_tokens_total\\{[^}]*model=\"fake\"[^}]*tenant=\"default\"[^}]*\\} ([8-9]|[1-9][0-9]+)", m);
        Assert.Matches("cyllm_gateway_time_to_first_token_seconds_count\\{[^}]*model=\"fake\"[^}]*\\} [1-9]", m);
        Assert.Matches("cyllm_gateway_inter_token_latency_seconds_count\\{[^}]*\\} ([3-9]|[1-9][0-9]+)", m);
    }
}
