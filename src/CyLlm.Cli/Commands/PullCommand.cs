using System.CommandLine;
using CyLlm.Cli.Hub;
using CyLlm.Gateway.Auth;

namespace CyLlm.Cli.Commands;

/// <summary>
/// `cyllm pull hf:OWNER/REPO[:FILE_OR_QUANT][@REVISION]`: download a model file into the Hugging Face cache (see
/// docs/models.md) and print its path. Already cached: nothing is downloaded. The download is a task in the data folder.
/// </summary>
internal static class PullCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model")
        {
            Description = "hf:OWNER/REPO[:FILE_OR_QUANT][@REVISION], e.g. hf:Qwen/Qwen3-0.6B-GGUF:Q4_K_M",
        };
        var dataDir = DataDirectory.Option();
        var tenant = new Option<string>("--tenant")
        {
            Description = "tenant whose task list (GET /v1/tasks) shows the download",
            DefaultValueFactory = _ => Caller.DefaultTenant,
        };
        var cmd = new Command("pull", "download a model from the Hugging Face Hub into its cache (HF_ENDPOINT, HF_HOME, HF_HUB_CACHE, HF_TOKEN, HF_HUB_OFFLINE)")
        {
            model, dataDir, tenant,
        };
        cmd.SetAction(CliRunner.Guard(parse =>
        {
            string text = parse.GetValue(model)!;
            string t = parse.GetValue(tenant)!;
            if (string.IsNullOrWhiteSpace(t))
            {
                throw new ArgumentException("--tenant must not be empty");
            }

            var result = ModelSource.Pull(HubReference.Parse(text), parse.GetValue(dataDir), t);
            if (!result.Downloaded)
            {
                Console.Error.WriteLine($"cyllm: {result.File} (commit {result.Commit[..8]}) is already in the cache");
            }

            Console.WriteLine(result.Path);
            return 0;
        }));
        return cmd;
    }
}
