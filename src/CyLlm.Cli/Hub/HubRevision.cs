namespace CyLlm.Cli.Hub;

/// <summary>What <c>GET /api/models/{repo}/revision/{rev}</c> says: the commit the revision is at and the repository's files.</summary>
/// <param name="Commit">The 40-hex commit (<c>sha</c>).</param>
/// <param name="Files">Every <c>siblings[].rfilename</c>, '/'-separated repository paths.</param>
public sealed record HubRevision(string Commit, IReadOnlyList<string> Files);
