using CyLlm.Cli.Hub;
using CyLlm.Gateway.Auth;
using CyLlm.Jobs.Sqlite;
using CyLlm.Jobs.Storage;
using Spectre.Console;

namespace CyLlm.Cli.Commands;

/// <summary>
/// The one place the model commands turn their --model into a path: <c>hf:OWNER/REPO[:FILE_OR_QUANT]</c> is pulled into
/// (or found in) the Hugging Face cache, nothing picks the built-in model (<see cref="DefaultModel"/>), and anything else
/// is a path used as given.
/// </summary>
internal static class ModelSource
{
    /// <summary>A loadable path for <paramref name="given"/>; a missing Hub file is downloaded first.</summary>
    /// <param name="dataDir">The data folder whose task store records a download (--data-dir; null = the default folder).</param>
    public static string Resolve(string? given, string? dataDir = null) =>
        HubReference.IsHub(given) ? Pull(HubReference.Parse(given!), dataDir, Caller.DefaultTenant).Path : DefaultModel.Resolve(given);

    /// <summary>Like <see cref="Resolve"/> but keeps null as null (serve resolves the built-in model itself).</summary>
    public static string? ResolveIfHub(string? given, string? dataDir) =>
        HubReference.IsHub(given) ? Pull(HubReference.Parse(given!), dataDir, Caller.DefaultTenant).Path : given;

    /// <summary>
    /// Pulls <paramref name="reference"/> with the environment's Hub settings: a progress bar on a terminal (stderr, so
    /// stdout stays the command's output), else a line every few percent; the download is recorded as a task in the
    /// data folder's store under <paramref name="tenant"/>.
    /// </summary>
    public static PullResult Pull(HubReference reference, string? dataDir, string tenant)
    {
        var settings = HubSettings.FromEnvironment();
        var puller = new HubPuller(settings, TimeProvider.System) { Notice = m => Console.Error.WriteLine($"cyllm: {m}") };
        return PullAsync(puller, reference, dataDir, tenant).GetAwaiter().GetResult();
    }

    private static async Task<PullResult> PullAsync(HubPuller puller, HubReference reference, string? dataDir, string tenant)
    {
        var recorder = new PullTaskRecorder(ct => OpenStoreAsync(dataDir, ct), tenant, TimeProvider.System);
        await using (recorder.ConfigureAwait(false))
        {
            if (Console.IsErrorRedirected)
            {
                return await puller.PullAsync(reference, new CompositePullListener(new LinePullProgress(Console.Error), recorder), CancellationToken.None).ConfigureAwait(false);
            }

            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
            return await console.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
                .StartAsync(ctx => puller.PullAsync(reference, new CompositePullListener(new BarPullProgress(ctx), recorder), CancellationToken.None))
                .ConfigureAwait(false);
        }
    }

    private static async Task<IJobStore> OpenStoreAsync(string? dataDir, CancellationToken ct)
    {
        string dir = DataDirectory.Resolve(dataDir);
        Directory.CreateDirectory(dir);
        return await SqliteJobStore.OpenAsync(new SqliteJobStoreOptions(DataDirectory.Database(dir)), ct).ConfigureAwait(false);
    }
}
