namespace CyLlm.Jobs.Blobs.S3;

/// <summary>
/// An S3-compatible bucket for file contents (<c>--file-storage s3</c>): AWS S3, MinIO, Ceph RGW, R2 and the like,
/// addressed path-style (<c>ENDPOINT/BUCKET/PREFIX+blob id</c>), requests signed with AWS Signature Version 4.
/// </summary>
public sealed record S3Settings
{
    /// <summary>Base URL of the service, e.g. <c>https://s3.eu-west-1.amazonaws.com</c> or <c>http://minio:9000</c>.</summary>
    public required Uri Endpoint { get; init; }

    public required string Bucket { get; init; }

    /// <summary>Key prefix of every blob (e.g. <c>cyllm/</c>); empty for the bucket's root.</summary>
    public string Prefix { get; init; } = "";

    /// <summary>The signing region (<c>us-east-1</c> for most S3-compatible servers).</summary>
    public string Region { get; init; } = "us-east-1";

    public required string AccessKeyId { get; init; }

    public required string SecretAccessKey { get; init; }

    /// <summary>Temporary credentials' session token (<c>x-amz-security-token</c>), or null.</summary>
    public string? SessionToken { get; init; }

    /// <summary>
    /// Settings from <c>s3://BUCKET[/PREFIX]</c> and the variables AWS tools read: <c>AWS_ENDPOINT_URL_S3</c> or
    /// <c>AWS_ENDPOINT_URL</c> (default <c>https://s3.REGION.amazonaws.com</c>), <c>AWS_REGION</c> or
    /// <c>AWS_DEFAULT_REGION</c> (default us-east-1), <c>AWS_ACCESS_KEY_ID</c>, <c>AWS_SECRET_ACCESS_KEY</c> and
    /// <c>AWS_SESSION_TOKEN</c>. Throws <see cref="ArgumentException"/> with one line naming what is missing or wrong.
    /// </summary>
    public static S3Settings FromUrl(string url, Func<string, string?> env)
    {
        ArgumentNullException.ThrowIfNull(env);
        if (!Uri.TryCreate(url, UriKind.Absolute, out var u) || u.Scheme != "s3" || u.Host.Length == 0)
        {
            throw new ArgumentException($"'{url}' is not an S3 location; write s3://BUCKET or s3://BUCKET/PREFIX");
        }

        string prefix = Uri.UnescapeDataString(u.AbsolutePath.TrimStart('/'));
        if (prefix.Length > 0 && !prefix.EndsWith('/'))
        {
            prefix += "/";
        }

        string region = Nonempty(env("AWS_REGION")) ?? Nonempty(env("AWS_DEFAULT_REGION")) ?? "us-east-1";
        string endpoint = Nonempty(env("AWS_ENDPOINT_URL_S3")) ?? Nonempty(env("AWS_ENDPOINT_URL")) ?? $"https://s3.{region}.amazonaws.com";
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var e) || (e.Scheme != "http" && e.Scheme != "https"))
        {
            throw new ArgumentException($"the S3 endpoint '{endpoint}' (AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL) is not an http(s) URL");
        }

        return new S3Settings
        {
            Endpoint = e,
            Bucket = u.Host,
            Prefix = prefix,
            Region = region,
            AccessKeyId = Nonempty(env("AWS_ACCESS_KEY_ID")) ?? throw new ArgumentException("--file-storage s3 needs AWS_ACCESS_KEY_ID (and AWS_SECRET_ACCESS_KEY) in the environment"),
            SecretAccessKey = Nonempty(env("AWS_SECRET_ACCESS_KEY")) ?? throw new ArgumentException("--file-storage s3 needs AWS_SECRET_ACCESS_KEY in the environment"),
            SessionToken = Nonempty(env("AWS_SESSION_TOKEN")),
        };
    }

    private static string? Nonempty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}
