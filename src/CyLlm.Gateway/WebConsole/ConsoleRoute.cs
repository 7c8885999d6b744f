namespace CyLlm.Gateway.WebConsole;

/// <summary>Endpoint metadata marking the web console's routes (<c>/</c>, <c>/console/…</c>): public (the files hold no
/// data; every data call the page makes carries its own key) and not audited (page loads are not API calls).</summary>
public sealed record ConsoleRoute;
