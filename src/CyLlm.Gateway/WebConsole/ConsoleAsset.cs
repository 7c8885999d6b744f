namespace CyLlm.Gateway.WebConsole;

/// <summary>One file of the web console, read once from the gateway assembly's embedded resources.</summary>
/// <param name="Path">Its path under <c>/console/</c> (<c>app.js</c>, <c>pages/keys.js</c>); <c>index.html</c> is served at <c>/</c>.</param>
/// <param name="ContentType">The Content-Type it is served with (UTF-8 for text).</param>
/// <param name="Content">Its bytes.</param>
/// <param name="ETag">A strong validator (quoted hash of the bytes): the files are not fingerprinted, so browsers revalidate.</param>
public sealed record ConsoleAsset(string Path, string ContentType, ReadOnlyMemory<byte> Content, string ETag);
