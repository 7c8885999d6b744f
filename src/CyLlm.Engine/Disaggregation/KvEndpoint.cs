using System.Globalization;

namespace CyLlm.Engine.Disaggregation;

/// <summary>A worker's address, "host:port".</summary>
public readonly record struct KvEndpoint(string Host, int Port)
{
    public override string ToString() => $"{Host}:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Parses "host:port" (port 0..65535); throws <see cref="FormatException"/> with a clear message.</summary>
    public static KvEndpoint Parse(string text)
    {
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > 65535)
        {
            throw new FormatException($"'{text}' is not an address of the form host:port");
        }

        return new KvEndpoint(text[..colon], port);
    }
}
