using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace CyLlm.Jobs.Blobs.S3;

/// <summary>
/// AWS Signature Version 4 for S3 requests signed in the Authorization header: the canonical request (method,
/// URI-encoded path, sorted query, the signed headers lower-cased and sorted, the payload's SHA-256), the string to
/// sign over the date/region/service scope, and the HMAC chain of the secret. Checked against AWS's documented
/// GET-object example and against an independent S3 server in the tests.
/// </summary>
public static class SigV4
{
    public const string EmptyPayloadSha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    /// <summary>
    /// The Authorization header value. <paramref name="headers"/> are the headers to sign (host, x-amz-date and
    /// x-amz-content-sha256 among them), names in any case; <paramref name="canonicalPath"/> is already URI-encoded
    /// (<see cref="EncodePath"/>); <paramref name="query"/> holds decoded names and values.
    /// </summary>
    public static string Authorization(string method, string canonicalPath, IReadOnlyList<KeyValuePair<string, string>> query,
        IReadOnlyList<KeyValuePair<string, string>> headers, string payloadSha256, DateTimeOffset time, string region, string accessKeyId, string secretAccessKey, string service = "s3")
    {
        string amzDate = time.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        string day = amzDate[..8];
        var sorted = headers
            .Select(h => (Name: h.Key.Trim().ToLowerInvariant(), Value: string.Join(' ', h.Value.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries))))
            .OrderBy(h => h.Name, StringComparer.Ordinal)
            .ToList();
        string signedHeaders = string.Join(';', sorted.Select(h => h.Name));
        string canonicalQuery = string.Join('&', query
            .Select(q => (Name: Encode(q.Key), Value: Encode(q.Value)))
            .OrderBy(q => q.Name, StringComparer.Ordinal).ThenBy(q => q.Value, StringComparer.Ordinal)
            .Select(q => $"{q.Name}={q.Value}"));
        var canonical = new StringBuilder()
            .Append(method).Append('\n')
            .Append(canonicalPath).Append('\n')
            .Append(canonicalQuery).Append('\n');
        foreach (var (name, value) in sorted)
        {
            canonical.Append(name).Append(':').Append(value).Append('\n');
        }

        canonical.Append('\n').Append(signedHeaders).Append('\n').Append(payloadSha256);
        string scope = $"{day}/{region}/{service}/aws4_request";
        string toSign = $"AWS4-HMAC-SHA256\n{amzDate}\n{scope}\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonical.ToString())))}";
        byte[] key = Hmac(Encoding.UTF8.GetBytes("AWS4" + secretAccessKey), day);
        key = Hmac(key, region);
        key = Hmac(key, service);
        key = Hmac(key, "aws4_request");
        string signature = Hex(Hmac(key, toSign));
        return $"AWS4-HMAC-SHA256 Credential={accessKeyId}/{scope},SignedHeaders={signedHeaders},Signature={signature}";
    }

    /// <summary>x-amz-date's format.</summary>
    public static string AmzDate(DateTimeOffset time) => time.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);

    /// <summary>A path with each segment URI-encoded as S3 expects (RFC 3986 unreserved characters kept, '/' kept).</summary>
    public static string EncodePath(string path) => string.Join('/', path.Split('/').Select(Encode));

    /// <summary>RFC 3986 percent-encoding of everything but A–Z a–z 0–9 - _ . ~ (UTF-8, upper-case hex).</summary>
    public static string Encode(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (byte b in Encoding.UTF8.GetBytes(s))
        {
            char c = (char)b;
            if (c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_' or '.' or '~')
            {
                sb.Append(c);
            }
            else
            {
                sb.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return sb.ToString();
    }

    public static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));
}
