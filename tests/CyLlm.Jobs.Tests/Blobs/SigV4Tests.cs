using CyLlm.Jobs.Blobs.S3;

namespace CyLlm.Jobs.Tests.Blobs;

/// <summary>Signature Version 4 against AWS's published S3 example, and the settings read from s3:// URLs and AWS_* variables.</summary>
public sealed class SigV4Tests
{
    [Fact]
    public void The_aws_documented_get_object_example_signs_to_its_published_signature()
    {
        // docs.aws.amazon.com, "Signature Calculations for the Authorization Header", example GET Object.
        KeyValuePair<string, string>[] headers =
        [
            new("Host", "examplebucket.s3.amazonaws.com"), new("Range", "bytes=0-9"),
            new("x-amz-content-sha256", SigV4.EmptyPayloadSha256), new("x-amz-date", "20130524T000000Z"),
        ];
        string auth = SigV4.Authorization("GET", "/test.txt", [], headers, SigV4.EmptyPayloadSha256,
            new DateTimeOffset(2013, 5, 24, 0, 0, 0, TimeSpan.Zero), "us-east-1", "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
        Assert.Equal(
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
            auth);
    }

    [Theory]
    [InlineData("a b", "a%20b")]
    [InlineData("x/y", "x%2Fy")]
    [InlineData("A-Z_a.z~09", "A-Z_a.z~09")]
    [InlineData("é", "%C3%A9")]
    public void Encoding_keeps_only_the_unreserved_characters(string raw, string encoded) => Assert.Equal(encoded, SigV4.Encode(raw));

    [Fact]
    public void Settings_come_from_the_url_and_the_aws_variables()
    {
        var env = new Dictionary<string, string>
        {
            ["AWS_ACCESS_KEY_ID"] = "AK",
            ["AWS_SECRET_ACCESS_KEY"] = "SK",
            ["AWS_REGION"] = "eu-west-3",
            ["AWS_SESSION_TOKEN"] = "T",
        };
        var s = S3Settings.FromUrl("s3://bucket-1/some/prefix", k => env.GetValueOrDefault(k));
        Assert.Equal(("bucket-1", "some/prefix/", "eu-west-3", "AK", "SK", "T"), (s.Bucket, s.Prefix, s.Region, s.AccessKeyId, s.SecretAccessKey, s.SessionToken));
        Assert.Equal(new Uri("https://s3.eu-west-3.amazonaws.com"), s.Endpoint);
        env["AWS_ENDPOINT_URL_S3"] = "http://minio:9000";
        Assert.Equal(new Uri("http://minio:9000"), S3Settings.FromUrl("s3://b", k => env.GetValueOrDefault(k)).Endpoint);
    }

    [Theory]
    [InlineData("http://bucket/x", "not an S3 location")]
    [InlineData("s3://", "not an S3 location")]
    public void A_bad_location_is_one_line(string url, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => S3Settings.FromUrl(url, _ => "x"));
        Assert.Contains(message, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Missing_credentials_are_named()
    {
        var e = Assert.Throws<ArgumentException>(() => S3Settings.FromUrl("s3://b", _ => null));
        Assert.Contains("AWS_ACCESS_KEY_ID", e.Message);
    }
}
