namespace CyLlm.Gateway.Tests.Workers;

/// <summary>Never answers: each request waits until it is cancelled (a hung worker).</summary>
public sealed class HangingHandler : HttpMessageHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        await Task.Delay(Timeout.Infinite, cancellationToken);
        throw new InvalidOperationException("unreachable: the delay only ends by cancellation");
    }
}
