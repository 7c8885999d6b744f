using CyLlm.Cli.Hub;

namespace CyLlm.Cli.Tests.Hub;

public sealed class HubReferenceTests
{
    [Theory]
    [InlineData("hf:Qwen/Qwen3-0.6B-GGUF", "Qwen/Qwen3-0.6B-GGUF", null, "main")]
    [InlineData("hf:Qwen/Qwen3-0.6B-GGUF:Q4_K_M", "Qwen/Qwen3-0.6B-GGUF", "Q4_K_M", "main")]
    [InlineData("hf:Qwen/Qwen3-0.6B-GGUF:Qwen3-0.6B-Q8_0.gguf", "Qwen/Qwen3-0.6B-GGUF", "Qwen3-0.6B-Q8_0.gguf", "main")]
    [InlineData("hf:org/repo@v1.0:Q8_0", "org/repo", "Q8_0", "v1.0")]
    [InlineData("hf:org/repo:sub/model.gguf@0123456789abcdef0123456789abcdef01234567", "org/repo", "sub/model.gguf", "0123456789abcdef0123456789abcdef01234567")]
    [InlineData("hf:org/repo@refs/pr/1", "org/repo", null, "refs/pr/1")]
    public void Parses_repo_selector_and_revision(string text, string repo, string? selector, string revision)
    {
        var r = HubReference.Parse(text);

        Assert.Equal(repo, r.Repo);
        Assert.Equal(selector, r.Selector);
        Assert.Equal(revision, r.Revision);
        Assert.Equal(r, HubReference.Parse(r.ToString()));
        Assert.Equal("models--" + repo.Replace("/", "--", StringComparison.Ordinal), r.CacheFolderName);
    }

    [Theory]
    [InlineData("Qwen/Qwen3-0.6B-GGUF")]
    [InlineData("hf:justone")]
    [InlineData("hf:a/b/c")]
    [InlineData("hf:../b")]
    [InlineData("hf:a/..")]
    [InlineData("hf:a/b:../../etc/passwd")]
    [InlineData("hf:a/b:/abs.gguf")]
    [InlineData("hf:a/b:sub\\x.gguf")]
    [InlineData("hf:a/b:")]
    [InlineData("hf:a/b@")]
    [InlineData("hf:a/b@../x")]
    public void Refuses_what_is_not_a_safe_hub_reference(string text)
    {
        var e = Assert.Throws<ArgumentException>(() => HubReference.Parse(text));
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Settings_follow_the_hub_environment_variables()
    {
        var env = new Dictionary<string, string>
        {
            ["HF_HOME"] = "/tmp/hfhome",
            ["HF_ENDPOINT"] = "http://127.0.0.1:5555/",
            ["HF_TOKEN"] = "hf_abc",
            ["HF_HUB_OFFLINE"] = "1",
        };
        var s = HubSettings.FromEnvironment(k => env.GetValueOrDefault(k));

        Assert.Equal("http://127.0.0.1:5555/", s.Endpoint.ToString());
        Assert.Equal("/tmp/hfhome/hub", s.CacheDirectory);
        Assert.Equal("hf_abc", s.Token);
        Assert.True(s.Offline);
        Assert.DoesNotContain("hf_abc", s.ToString());

        env["HF_HUB_CACHE"] = "/tmp/elsewhere";
        env["HF_HUB_OFFLINE"] = "0";
        env.Remove("HF_ENDPOINT");
        s = HubSettings.FromEnvironment(k => env.GetValueOrDefault(k));
        Assert.Equal("/tmp/elsewhere", s.CacheDirectory);
        Assert.Equal("https://huggingface.co/", s.Endpoint.ToString());
        Assert.False(s.Offline);

        env["HF_ENDPOINT"] = "ftp://x";
        Assert.Throws<ArgumentException>(() => HubSettings.FromEnvironment(k => env.GetValueOrDefault(k)));
    }
}
