using System.Collections;
using CyLlm.Gateway.Configuration;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests.Configuration;

/// <summary>Gateway:Models — the base-model list from the settings file, CYLLM_ variables or the command line.</summary>
public sealed class ModelListConfigurationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cyllm-config-models-").FullName;
    private static readonly GatewayOptions Defaults = new() { BackendFactory = () => new FakeBackend() };
    private static readonly Hashtable NoEnv = new();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Stories => RepoPaths.StoriesModel;

    private static string Tiny => Path.Combine(Path.GetDirectoryName(RepoPaths.StoriesModel)!, "llama-2-tiny-random.gguf");

    private string Settings(object models, string name = "settings.json")
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, System.Text.Json.JsonSerializer.Serialize(new { Gateway = new { Models = models } }));
        return path;
    }

    [Fact]
    public void A_file_lists_models_the_environment_replaces_the_list_and_the_command_line_replaces_both()
    {
        string file = Settings(new[] { Stories, Tiny });
        var fromFile = GatewayConfiguration.Load(Defaults, file, environment: NoEnv);
        Assert.Empty(fromFile.Errors);
        Assert.Equal([Stories, Tiny], fromFile.Options.ModelPaths);

        // One variable per entry; a shorter list replaces the file's whole list (no entry of it survives).
        var env = new Hashtable { ["CYLLM_Gateway__Models__0"] = Tiny };
        var fromEnv = GatewayConfiguration.Load(Defaults, file, environment: env);
        Assert.Empty(fromEnv.Errors);
        Assert.Equal([Tiny], fromEnv.Options.ModelPaths);

        // A single plain value is a one-entry list.
        var single = GatewayConfiguration.Load(Defaults, null, environment: new Hashtable { ["CYLLM_Gateway__Models"] = Stories });
        Assert.Empty(single.Errors);
        Assert.Equal([Stories], single.Options.ModelPaths);

        var flags = new Dictionary<string, string?> { [$"{GatewayConfiguration.ModelsKey}:0"] = Stories };
        var fromFlags = GatewayConfiguration.Load(Defaults, file, flags, env);
        Assert.Empty(fromFlags.Errors);
        Assert.Equal([Stories], fromFlags.Options.ModelPaths);
    }

    [Fact]
    public void A_folder_entry_means_what_it_means_for_model()
    {
        File.Copy(Stories, Path.Combine(_dir, "alpha.gguf"));
        File.Copy(Stories, Path.Combine(_dir, "beta.gguf"));
        var r = GatewayConfiguration.Load(Defaults, Settings(new[] { _dir, Tiny }), environment: NoEnv);
        Assert.Empty(r.Errors);
        Assert.Equal(["alpha", "beta", "llama-2-tiny-random"], CyLlm.Gateway.Hosting.ModelCatalog.Expand(r.Options).Select(m => m.Id));
    }

    [Fact]
    public void Every_bad_entry_is_reported_at_once_with_the_setting_name()
    {
        string empty = Directory.CreateDirectory(Path.Combine(_dir, "empty")).FullName;
        string missing = Path.Combine(_dir, "missing.gguf");
        string file = Settings(new object[] { Stories, "", missing, new { Path = "x" }, empty, Stories });
        var env = new Hashtable { ["CYLLM_Gateway__Models__first"] = Tiny };
        var r = GatewayConfiguration.Load(Defaults, file, environment: env);
        string all = string.Join("\n", r.Errors);
        Assert.Contains(r.Errors, e => e.StartsWith("Gateway:Models:1 (file ", StringComparison.Ordinal) && e.Contains("not empty"));
        Assert.Contains(r.Errors, e => e.StartsWith("Gateway:Models:3 (file ", StringComparison.Ordinal) && e.Contains("not a section"));
        Assert.Contains(r.Errors, e => e.StartsWith("Gateway:Models:first (environment", StringComparison.Ordinal) && e.Contains("not a list entry"));
        Assert.Contains(r.Errors, e => e.StartsWith("Gateway:Models:", StringComparison.Ordinal) && e.Contains(missing) && e.Contains("no such file or folder"));
        Assert.Contains(r.Errors, e => e.StartsWith("Gateway:Models:", StringComparison.Ordinal) && e.Contains(empty) && e.Contains("holds no model"));
        Assert.Contains(r.Errors, e => e.StartsWith("Gateway:Models:", StringComparison.Ordinal) && e.Contains("'stories260K'"));
        Assert.Equal(6, r.Errors.Count);
        Assert.DoesNotContain("Gateway:ModelPath:", all, StringComparison.Ordinal);
    }

    [Fact]
    public void The_list_is_named_models_and_an_empty_list_is_an_error()
    {
        var wrongName = GatewayConfiguration.Load(Defaults, null, environment: new Hashtable { ["CYLLM_Gateway__ModelPaths__0"] = Stories });
        Assert.Contains(wrongName.Errors, e => e.StartsWith("Gateway:ModelPaths", StringComparison.Ordinal) && e.Contains("not a setting"));

        var blank = GatewayConfiguration.Load(Defaults, null, environment: new Hashtable { ["CYLLM_Gateway__Models"] = "" });
        Assert.Contains(blank.Errors, e => e.StartsWith("Gateway:Models (--model)", StringComparison.Ordinal) && e.Contains("not empty"));
        Assert.Null(blank.Options.ModelPaths);
    }
}
