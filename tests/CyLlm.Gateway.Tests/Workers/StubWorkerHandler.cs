using System.Net;
using System.Text.Json;
using CyLlm.Gateway.Json;
using CyLlm.Gateway.Workers;

namespace CyLlm.Gateway.Tests.Workers;

/// <summary>Answers heartbeats for fake worker URLs: a report while a worker is "alive", a refused connection otherwise.</summary>
public sealed class StubWorkerHandler : HttpMessageHandler
{
    private readonly Dictionary<string, WorkerStatusReport?> _workers = new(StringComparer.Ordinal);

    /// <summary>Polls received so far, by worker URL.</summary>
    public Dictionary<string, int> Polls { get; } = new(StringComparer.Ordinal);

    /// <summary>Makes <paramref name="url"/> answer with <paramref name="report"/>; null makes it refuse connections.</summary>
    public void Set(string url, WorkerStatusReport? report)
    {
        lock (_workers)
        {
            _workers[url] = report;
        }
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        string url = request.RequestUri!.GetLeftPart(UriPartial.Authority);
        WorkerStatusReport? report;
        lock (_workers)
        {
            Polls[url] = Polls.GetValueOrDefault(url) + 1;
            report = _workers.GetValueOrDefault(url);
        }

        if (report is null)
        {
            throw new HttpRequestException("Connection refused (stub)");
        }

        return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new StringContent(JsonSerializer.Serialize(report, GatewayJson.Options), System.Text.Encoding.UTF8, "application/json"),
        });
    }
}
