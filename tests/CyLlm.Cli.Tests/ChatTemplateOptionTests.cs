namespace CyLlm.Cli.Tests;

/// <summary><c>--chat-template</c> on train (and serve, which shares the resolver): a bad value is one line naming the flag.</summary>
public sealed class ChatTemplateOptionTests
{
    private static (int Code, string StdErr) Train(string template)
    {
        string dir = Directory.CreateTempSubdirectory("cyllm-cli-tpl-").FullName;
        string data = Path.Combine(dir, "d.jsonl");
        File.WriteAllText(data, "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"hello\"}]}\n");
        var (code, _, stderr) = CliProcess.Run("train", "--model", CliProcess.Shared("stories260K.gguf"), "--data", data, "--output", Path.Combine(dir, "out"),
            "--max-steps", "1", "--batch-size", "1", "--threads", "1", "--chat-template", template);
        return (code, stderr);
    }

    [Fact]
    public void A_name_that_is_neither_a_file_nor_a_built_in_template_is_one_line()
    {
        var (code, stderr) = Train("no-such-template");
        Assert.Equal(2, code);
        Assert.Equal("error: --chat-template: 'no-such-template' is neither a file nor a built-in template (known: chatml, llama2, llama3, mistral, zephyr, gemma, qwen2, smollm2, phi3.5)", stderr.Trim());
    }

    [Fact]
    public void A_template_file_that_does_not_parse_names_the_file_and_the_place()
    {
        string file = Path.Combine(Directory.CreateTempSubdirectory("cyllm-cli-tpl-").FullName, "bad.jinja");
        File.WriteAllText(file, "{% for m in messages %}{{ m.content }}");
        var (code, stderr) = Train(file);
        Assert.Equal(2, code);
        Assert.StartsWith($"error: --chat-template: {file}: ", stderr.Trim(), StringComparison.Ordinal);
        Assert.Single(stderr.Trim().Split('\n'));
    }

    [Fact]
    public void A_built_in_name_and_the_weather_template_train()
    {
        Assert.Equal(0, Train("llama2").Code);
        Assert.Equal(0, Train(Path.Combine(CliProcess.RepoRoot, "models", "weather-tools", "chat_template.jinja")).Code);
    }
}
