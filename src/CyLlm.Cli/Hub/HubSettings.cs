namespace CyLlm.Cli.Hub;

/// <summary>
/// Where and how to reach the Hub, from the environment variables the Hub's own libraries read, so that a cache filled
/// by <c>huggingface-cli</c>, llama.cpp or vLLM is the one CyLlm reads and fills.
/// </summary>
/// <param name="Endpoint">HF_ENDPOINT, default https://huggingface.co (no trailing slash).</param>
/// <param name="CacheDirectory">HF_HUB_CACHE, else $HF_HOME/hub, HF_HOME defaulting to $XDG_CACHE_HOME/huggingface or ~/.cache/huggingface.</param>
/// <param name="Token">HF_TOKEN, else the token file that <c>hf auth login</c> writes ($HF_TOKEN_PATH or $HF_HOME/token); never logged.</param>
/// <param name="Offline">HF_HUB_OFFLINE=1: resolve from the cache only, never open a connection.</param>
public sealed record HubSettings(Uri Endpoint, string CacheDirectory, string? Token, bool Offline)
{
    public const string DefaultEndpoint = "https://huggingface.co";

    /// <summary>Reads the settings through <paramref name="env"/> (the process environment when null).</summary>
    public static HubSettings FromEnvironment(Func<string, string?>? env = null)
    {
        env ??= Environment.GetEnvironmentVariable;
        string endpointText = NonEmpty(env("HF_ENDPOINT")) ?? DefaultEndpoint;
        if (!Uri.TryCreate(endpointText.TrimEnd('/'), UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https"))
        {
            throw new ArgumentException($"HF_ENDPOINT must be an http(s) URL such as {DefaultEndpoint}, not '{endpointText}'");
        }

        string home = NonEmpty(env("HF_HOME")) ?? Path.Combine(
            NonEmpty(env("XDG_CACHE_HOME")) ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"),
            "huggingface");
        string cache = NonEmpty(env("HF_HUB_CACHE")) ?? NonEmpty(env("HUGGINGFACE_HUB_CACHE")) ?? Path.Combine(home, "hub");
        string? token = NonEmpty(env("HF_TOKEN")) ?? NonEmpty(env("HUGGING_FACE_HUB_TOKEN")) ?? ReadTokenFile(NonEmpty(env("HF_TOKEN_PATH")) ?? Path.Combine(home, "token"));
        return new HubSettings(endpoint, Path.GetFullPath(cache), token, IsTrue(env("HF_HUB_OFFLINE")));
    }

    /// <summary>The settings without the token, so that printing them can never leak it.</summary>
    public override string ToString() => $"HubSettings {{ Endpoint = {Endpoint}, CacheDirectory = {CacheDirectory}, Token = {(Token is null ? "none" : "set")}, Offline = {Offline} }}";

    private static string? ReadTokenFile(string path)
    {
        try
        {
            return File.Exists(path) ? NonEmpty(File.ReadAllText(path).Trim()) : null;
        }
        catch (IOException)
        {
            // An unreadable token file is the same as none: public repositories still work, private ones say "set HF_TOKEN".
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string? NonEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    private static bool IsTrue(string? s) => s?.Trim().ToUpperInvariant() is "1" or "ON" or "YES" or "TRUE";
}
