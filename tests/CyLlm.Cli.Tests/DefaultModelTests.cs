using System.Text;
using System.Text.Json;
using CsCheck;
using CyLlm.Models;
using CyLlm.Tokenizers;

namespace CyLlm.Cli.Tests;

/// <summary>
/// CyLlm's built-in model (models/cyllm-default.gguf, trained by scripts/default-model/train.sh): what generate and
/// serve use without --model, its shapes, its size budget and its tokenizer.
/// </summary>
public sealed class DefaultModelTests : IDisposable
{
    private const long MaxBytes = 25L * 1024 * 1024;
    private readonly string _dir = Directory.CreateTempSubdirectory("cyllm-default-").FullName;

    private static string RepoModel => Path.Combine(CliProcess.RepoRoot, "models", "cyllm-default.gguf");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void The_model_is_committed_within_the_size_budget_and_copied_beside_the_cli()
    {
        var repo = new FileInfo(RepoModel);
        Assert.True(repo.Exists, $"{RepoModel} is missing; run scripts/default-model/train.sh");
        Assert.InRange(repo.Length, 1L << 20, MaxBytes);
        var beside = new FileInfo(Path.Combine(AppContext.BaseDirectory, "models", "cyllm-default.gguf"));
        Assert.True(beside.Exists, "the CLI build does not copy models/cyllm-default.gguf to its output");
        Assert.Equal(repo.Length, beside.Length);
    }

    [Fact]
    public void Generate_without_a_model_uses_the_default_deterministically()
    {
        string[] args = ["generate", "--max-tokens", "20", "--temperature", "0", "--prompt", "In the beginning", "--json"];
        var a = CliProcess.Run(args);
        Assert.True(a.ExitCode == 0, a.StdErr);
        var b = CliProcess.Run(args);
        Assert.True(b.ExitCode == 0, b.StdErr);
        using var doc = JsonDocument.Parse(a.StdOut);
        var ids = doc.RootElement.GetProperty("token_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.Equal(20, ids.Length);
        Assert.False(string.IsNullOrWhiteSpace(doc.RootElement.GetProperty("text").GetString()));
        Assert.Equal(a.StdOut.Split("\"timings\"")[0], b.StdOut.Split("\"timings\"")[0]);
    }

    [Fact]
    public void Generate_prints_english_looking_text()
    {
        var r = CliProcess.Run("generate", "--max-tokens", "40", "--temperature", "0", "--prompt", "And God said");
        Assert.True(r.ExitCode == 0, r.StdErr);
        string text = r.StdOut.Trim();
        Assert.True(text.Length > 40, text);

        // A trained model writes mostly letters and spaces; an untrained one spreads over 2048 pieces, bytes included.
        int letters = text.Count(c => char.IsAsciiLetter(c) || c == ' ');
        Assert.True(letters >= text.Length * 0.8, text);
        Assert.Contains(" ", text);
    }

    [Fact]
    public void Inspect_shows_a_llama_with_the_trained_shapes()
    {
        var r = CliProcess.Run("inspect", "--model", RepoModel);
        Assert.True(r.ExitCode == 0, r.StdErr);
        string o = r.StdOut;
        Assert.Contains("architecture:  Llama", o);
        Assert.Contains("name:          cyllm-default", o);
        Assert.Contains("dim:           192", o);
        Assert.Contains("hidden_dim:    512", o);
        Assert.Contains("layers:        4", o);
        Assert.Contains("heads:         6 (kv 2, head_dim 32)", o);
        Assert.Contains("vocab:         2048", o);
        Assert.Contains("context:       256", o);
        Assert.Contains("tokenizer:     SentencePiece, 2048 tokens, bos 1, eos 2", o);
        Assert.Matches(@"token_embd\.weight\s+F32\s+\[192, 2048\]", o);
        Assert.Matches(@"blk\.3\.attn_k\.weight\s+F32\s+\[192, 64\]", o);
        Assert.Matches(@"blk\.0\.ffn_down\.weight\s+F32\s+\[512, 192\]", o);
        Assert.DoesNotContain("blk.4.", o);
    }

    [Fact]
    public void The_tokenizer_round_trips_text()
    {
        using var model = ModelLoader.Load(RepoModel, null);
        var data = model.Tokenizer ?? throw new InvalidOperationException("the default model has no tokenizer");
        var tok = Tokenizer.Create(data);
        const string verse = "In the beginning, God created the heavens and the earth.\nThe earth was formless and empty.";
        var ids = tok.Encode(verse, addBos: true, parseSpecial: false);
        Assert.Equal(1, ids[0]);
        Assert.True(ids.Length < verse.Length / 2, $"{ids.Length} tokens for {verse.Length} chars: the vocabulary did not learn English");
        Assert.True(tok.AddsSpacePrefix);
        Assert.Equal(" " + verse, tok.Decode(ids)); // Decode keeps the add_space_prefix space (streams drop it)

        // Any words (non-ASCII ones go through the byte pieces), joined by single spaces, come back unchanged.
        var word = Gen.String[Gen.OneOf(Gen.Char['a', 'z'], Gen.Char['A', 'Z'], Gen.Const('é'), Gen.Const('\n'), Gen.Const(','), Gen.Const('ß'), Gen.Const('\''), Gen.Const('中')), 1, 12];
        Gen.Select(word.Array[1, 12], w => string.Join(' ', w)).Sample(
            text => Assert.Equal(" " + text, tok.Decode(tok.Encode(text, addBos: true, parseSpecial: false))), iter: 300);
    }

    [Fact]
    public async Task Serve_without_a_model_answers_chat_with_the_default()
    {
        using var serve = ServeProcess.Start("--data-dir", _dir, "--threads", "1");
        await serve.WaitReadyAsync();
        using var body = new StringContent("""{"model":"cyllm-default","messages":[{"role":"user","content":"Who made the earth?"}],"max_tokens":12,"temperature":0}""", Encoding.UTF8, "application/json");
        using var res = await serve.Http.PostAsync("/v1/chat/completions", body);
        string json = await res.Content.ReadAsStringAsync();
        Assert.True(res.IsSuccessStatusCode, json + "\n" + serve.Output);
        using var doc = JsonDocument.Parse(json);
        Assert.False(string.IsNullOrEmpty(doc.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()), json);
        Assert.Contains("cyllm-default", serve.Output + json);
    }
}
