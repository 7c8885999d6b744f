using CyLlm.Gateway.Audit;
using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Disaggregation;
using CyLlm.Gateway.Endpoints.Adapters;
using CyLlm.Gateway.Endpoints.Admin;
using CyLlm.Gateway.Endpoints.Batches;
using CyLlm.Gateway.Endpoints.Chat;
using CyLlm.Gateway.Endpoints.Completions;
using CyLlm.Gateway.Endpoints.Embeddings;
using CyLlm.Gateway.Endpoints.Files;
using CyLlm.Gateway.Endpoints.FineTuning;
using CyLlm.Gateway.Endpoints.Health;
using CyLlm.Gateway.Endpoints.Me;
using CyLlm.Gateway.Endpoints.Models;
using CyLlm.Gateway.Endpoints.Status;
using CyLlm.Gateway.Endpoints.Tasks;
using CyLlm.Gateway.Endpoints.Tokenize;
using CyLlm.Gateway.Errors;
using CyLlm.Gateway.Hosting;
using CyLlm.Gateway.State;
using CyLlm.Gateway.WebConsole;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;

namespace CyLlm.Gateway;

/// <summary>
/// The OpenAI-compatible server: Kestrel, the error middleware, one route map per resource, the model host
/// and the generation worker. <see cref="Build"/> composes it; <see cref="StartAsync"/> binds the port.
/// </summary>
public sealed class GatewayApp : IAsyncDisposable
{
    private GatewayApp(WebApplication app, GatewayState state)
    {
        App = app;
        State = state;
    }

    public WebApplication App { get; }

    public GatewayState State { get; }

    /// <summary>The first bound address (e.g. http://127.0.0.1:51234) once started.</summary>
    public string BaseUrl => App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
        ?? throw new InvalidOperationException("the gateway is not started");

    /// <summary>Composes the server; throws <see cref="ArgumentException"/> listing every invalid setting.</summary>
    public static GatewayApp Build(GatewayOptions options)
    {
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException("invalid configuration: " + string.Join("; ", problems));
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        if (options.LogFormat == "text")
        {
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        }
        else
        {
            // One JSON object per line with the scopes (request id, trace id); every provider is redacted below.
            builder.Logging.AddJsonConsole(o =>
            {
                o.IncludeScopes = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        }

        options.ConfigureLogging?.Invoke(builder.Logging);
        builder.Logging.SetMinimumLevel(options.MinimumLogLevel);
        if (options.ExtraLogProvider is { } extraLog)
        {
            builder.Logging.AddProvider(extraLog);
        }

        // One line per request from ASP.NET Core's internals is noise at Information; the gateway logs its own.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k =>
        {
            // Kestrel's limit backs up the gateway's own check (which answers with a JSON 413 sooner).
            k.Limits.MaxRequestBodySize = options.MaxBodyBytes + 1;
            k.AddServerHeader = false;
        });
        builder.WebHost.UseUrls($"http://{options.Host}:{options.Port}");

        // Prometheus text at /metrics: the engine's instruments (queue time, TTFT, inter-token latency, tokens,
        // running/waiting, KV usage, prefix cache, preemptions) and ASP.NET Core's request metrics.
        builder.Services.AddOpenTelemetry().WithMetrics(m => m
            .AddMeter(CyLlm.Engine.Scheduling.ServingMetrics.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel")
            .AddMeter(Observability.GatewayMetrics.MeterName)
            .AddMeter(CyLlm.Engine.Disaggregation.DisaggregationMetrics.MeterName)
            .AddMeter(Workers.WorkerPool.MeterName)
            .AddPrometheusExporter())
            .WithTracing(t => Observability.Tracing.Configure(t, options));
        builder.Services.AddSingleton<Observability.GatewayMetrics>();
        builder.Services.AddSingleton(sp => RateLimits.RateLimiterFactory.Create(options, sp));
        builder.Services.AddSingleton(sp => new Observability.AlertService(
            sp.GetRequiredService<GatewayState>(), sp.GetRequiredService<Observability.GatewayMetrics>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger("CyLlm.Gateway.Alerts")));
        // The store opens (and migrates) before the server binds: a broken database fails start-up, not the first request.
        var storeHost = StoreHost.OpenAsync(options).GetAwaiter().GetResult();
        builder.Services.AddSingleton(storeHost.Store);
        AuthSetup.AddServices(builder.Services, options, storeHost.Store);
        builder.Services.AddSingleton(sp =>
        {
            var logs = sp.GetRequiredService<ILoggerFactory>();
            var models = ModelCatalog.Expand(options);
            // One model host (engine with its own waiting queue and KV budget) per base model; the first is the default.
            var first = models.Count > 1 ? options with { ModelPath = models[0].Path, ModelId = models[0].Id, ModelPaths = null } : options;
            var model = new ModelHost(first, logs.CreateLogger("CyLlm.Gateway.Model"));
            var state = new GatewayState(options, model, storeHost);
            state.FineTunedAdapters = new FineTunedAdapters(state, logs.CreateLogger("CyLlm.Gateway.FineTuning"));
            for (int i = 1; i < models.Count; i++)
            {
                state.AddModel(new ModelHost(options with { ModelPath = models[i].Path, ModelId = models[i].Id, ModelPaths = null, BackendFactory = null }, logs.CreateLogger("CyLlm.Gateway.Model")));
            }

            return state;
        });
        if (options.FineTuningWorker && FineTuneExecutors.Resolve(options) is { } makeExecutor)
        {
            builder.Services.AddHostedService(sp =>
            {
                var st = sp.GetRequiredService<GatewayState>();
                return new FineTuneHostedService(st, makeExecutor(st), sp.GetRequiredService<ILoggerFactory>().CreateLogger("CyLlm.Gateway.FineTuning"));
            });
        }

        if (options.RunBatchWorker)
        {
            // One instance: the hosted service, and the handle batch routes use to wake it.
            builder.Services.AddSingleton<BatchWorker>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<BatchWorker>());
        }

        // Last, so it wraps every provider registered above (console, test captures): no path logs unredacted.
        Observability.RedactingLoggerProvider.WrapAll(builder.Services, new Observability.LogRedactor(options.LogContent));
        var app = builder.Build();
        // Resolving the state starts loading the model now, so /health reports progress from the first request.
        var state = app.Services.GetRequiredService<GatewayState>();
        app.Services.GetRequiredService<Observability.AlertService>();
        AuthSetup.LogStartup(app, state);
        return Compose(app, state);
    }

    private static GatewayApp Compose(WebApplication app, GatewayState state)
    {
        app.UseMiddleware<ErrorMiddleware>();
        // X-Request-Id, traceparent, log scope, request metrics; then authentication establishes the caller;
        // then the per-key/per-tenant request limits (they need the caller).
        app.UseMiddleware<Observability.RequestContextMiddleware>();
        // Audit wraps authentication so refused requests are audited too; auth runs before any handler.
        app.UseMiddleware<AuditMiddleware>();
        app.UseMiddleware<AuthMiddleware>();
        app.UseMiddleware<RateLimits.RateLimitMiddleware>();
        // Metric labels name every tenant and model: scrapers need a metrics (or admin) key unless the operator opened it.
        app.MapPrometheusScrapingEndpoint("/metrics").WithMetadata(new RequiredScope(AuthScopes.Metrics));
        app.MapChat();
        app.MapCompletions();
        app.MapModels();
        app.MapModelAdmin();
        app.MapEmbeddings();
        app.MapAdapters();
        app.MapAdmin();
        app.MapFineTuning();
        app.MapStatus();
        app.MapTokenize();
        app.MapHealth();
        app.MapHealthDetails();
        app.MapFiles();
        app.MapBatches();
        app.MapTasks();
        app.MapDisaggregation();
        Workers.WorkerRoutes.MapWorkers(app);
        app.MapMe();
        if (state.Options.WebConsole)
        {
            app.MapConsole();
        }

        app.MapFallback((HttpContext ctx) => throw new ApiError(404, ErrorCodes.NotFound,
            $"No route {ctx.Request.Method} {ctx.Request.Path}. Fix: use one of /v1/chat/completions, /v1/completions, /v1/embeddings, /v1/models, /tokenize, /detokenize, /health, /metrics"));
        return new GatewayApp(app, state);
    }

    public Task StartAsync(CancellationToken cancellationToken = default) => App.StartAsync(cancellationToken);

    public Task RunAsync(CancellationToken cancellationToken = default) => App.RunAsync(cancellationToken);

    /// <summary>Completes when the host stops (Ctrl+C, SIGTERM).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => App.WaitForShutdownAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        foreach (var host in State.Models)
        {
            host.Dispose();
        }

        await State.StoreHost.DisposeAsync();
    }
}
