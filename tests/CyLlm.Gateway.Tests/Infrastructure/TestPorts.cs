using System.Net;
using System.Net.Sockets;

namespace CyLlm.Gateway.Tests.Infrastructure;

/// <summary>
/// A port a test binds later itself (a router's bootstrap registry). Asking the OS for port 0 and releasing it hands
/// out an ephemeral port, which any server of a parallel test that binds port 0 may take before this test binds it (a
/// CI run once failed that way); these ports come from below Linux's ephemeral range (32768–60999), which nothing
/// binds implicitly, and are checked free.
/// </summary>
internal static class TestPorts
{
    public static int Reserve()
    {
        for (int attempt = 0; attempt < 100; attempt++)
        {
            int port = Random.Shared.Next(20_000, 32_000);
            try
            {
                using var l = new TcpListener(IPAddress.Loopback, port);
                l.Start();
                return port;
            }
            catch (SocketException)
            {
                // In use: try another.
            }
        }

        throw new InvalidOperationException("no free port in 20000-32000 after 100 tries");
    }
}
