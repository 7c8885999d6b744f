using System.Text.Json;

namespace CyLlm.Cli.Tests;

/// <summary>`cyllm serve` runs the health check before binding and stops with the reasons when it fails.</summary>
public sealed class ServeHealthCheckTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cyllm-serve-health-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_damaged_database_stops_serve_before_it_binds()
    {
        File.WriteAllText(Path.Combine(_dir, "cyllm.db"), "this is not a SQLite database, just some text that is long enough to have a header");
        var r = CliProcess.Run("serve", "--model", CliProcess.Shared("stories260K.gguf"), "--data-dir", _dir, "--no-auth", "--port", "0");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("FAIL database_opens", r.StdErr);
        Assert.Contains("--skip-health-check", r.StdErr);
        Assert.DoesNotContain("serving", r.StdErr);
        Assert.DoesNotContain("   at ", r.StdErr);
    }

    [Fact]
    public void A_model_file_that_changed_since_it_was_recorded_stops_serve()
    {
        string model = Path.Combine(_dir, "model.gguf");
        File.Copy(CliProcess.Shared("stories260K.gguf"), model);
        string data = Path.Combine(_dir, "data");
        Directory.CreateDirectory(data);
        string record = JsonSerializer.Serialize(new { files = new[] { new { path = model, sha256 = new string('a', 64), recorded_at = DateTimeOffset.UtcNow } } });
        File.WriteAllText(Path.Combine(data, "model-files.json"), record);
        var r = CliProcess.Run("serve", "--model", model, "--data-dir", data, "--no-auth", "--port", "0");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("FAIL model_files", r.StdErr);
        Assert.Contains("model.gguf", r.StdErr);
        Assert.Contains("was recorded", r.StdErr);
    }
}
