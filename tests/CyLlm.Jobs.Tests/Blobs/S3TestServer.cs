using CyLlm.Jobs.Blobs.S3;

namespace CyLlm.Jobs.Tests.Blobs;

/// <summary>
/// The S3-compatible server the S3 tests run against: <c>CYLLM_TEST_S3</c> (a URL) or s3rver as <c>.ci/services.sh</c>
/// starts it (http://127.0.0.1:4569, bucket cyllm-test, s3rver's default account S3RVER / S3RVER, which it checks every
/// signature against). Each caller gets its own key prefix, so runs never see each other's objects.
/// </summary>
internal static class S3TestServer
{
    public static Uri Endpoint => new(Environment.GetEnvironmentVariable("CYLLM_TEST_S3") is { Length: > 0 } u ? u : "http://127.0.0.1:4569");

    public const string Bucket = "cyllm-test";

    public static S3Settings Settings(string? secret = null) => new()
    {
        Endpoint = Endpoint,
        Bucket = Bucket,
        Prefix = $"t-{Guid.NewGuid():N}/",
        AccessKeyId = "S3RVER",
        SecretAccessKey = secret ?? "S3RVER",
    };
}
