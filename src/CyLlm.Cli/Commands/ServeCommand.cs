using System.CommandLine;
using CyLlm.Gateway;
using CyLlm.Gateway.Hosting;

namespace CyLlm.Cli.Commands;

/// <summary>`cyllm serve`: the OpenAI-compatible HTTP gateway over one model.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        // Not Required at the parser level: without --model the built-in default model is served (DefaultModel).
        var model = new Option<string[]>("--model", "-m")
        {
            Description = "model file (GGUF, llama2.c .bin, Hugging Face folder), a folder of GGUF files, or hf:OWNER/REPO[:FILE_OR_QUANT] (pulled into the Hub cache when missing); repeat it to serve several base models, the first being the default (default: the built-in models/cyllm-default.gguf)",
            Arity = ArgumentArity.ZeroOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        var tokenizer = CommonOptions.Tokenizer();
        var threads = CommonOptions.Threads();
        var context = CommonOptions.Context();
        context.Aliases.Add("--max-model-len"); // vLLM's name for it
        var chatTemplate = CommonOptions.ChatTemplate();
        var store = StoreLocation.Option();
        // The engine's sizing, named as vLLM and llama-server users know them. Taken as text: the settings layer parses
        // and range-checks them, so a bad value is one line naming the flag, like the other settings.
        var maxRunning = new Option<string?>("--max-running") { Description = "most sequences the engine runs at once (vLLM --max-num-seqs; default 64); more wait in its queue" };
        var maxBatchTokens = new Option<string?>("--max-batch-tokens") { Description = "most tokens in one engine step, decode plus prefill chunks (vLLM --max-num-batched-tokens; default 256; at least --max-running)" };
        var kvCacheBytes = new Option<string?>("--kv-cache-bytes") { Description = "bytes of KV cache the engine allocates (default 268435456 = 256 MiB); requests larger than it are a 400" };
        var maxQueueTokens = new Option<string?>("--max-queue-tokens") { Description = "prompt tokens that may wait for the engine before 503 server_overloaded (default 1048576)" };
        var host = new Option<string>("--host") { Description = "address to listen on", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "TCP port", DefaultValueFactory = _ => 8080 };
        var maxQueue = new Option<int>("--max-queue") { Description = "requests that may wait for the engine before 503 server_overloaded", DefaultValueFactory = _ => 64 };
        var modelId = new Option<string?>("--model-id") { Description = "the id clients pass as \"model\" (default: the file name)" };
        var requestTimeout = new Option<double>("--request-timeout") { Description = "total request timeout in seconds", DefaultValueFactory = _ => 600 };
        var queueTimeout = new Option<double>("--queue-timeout") { Description = "longest wait in the queue in seconds", DefaultValueFactory = _ => 60 };
        var maxBody = new Option<long>("--max-body-bytes") { Description = "largest request body in bytes (413 beyond)", DefaultValueFactory = _ => 1 << 20 };
        var dataDir = DataDirectory.Option();
        var skipHealth = new Option<bool>("--skip-health-check") { Description = "start even if the start-up health check (database, disk, model file hashes) fails" };
        var maxUpload = new Option<long>("--max-upload-bytes") { Description = "largest file upload (POST /v1/files) in bytes", DefaultValueFactory = _ => 512L << 20 };
        var batchLease = new Option<double>("--batch-lease") { Description = "seconds after a crash before another worker resumes a running batch", DefaultValueFactory = _ => 30 };
        var fineTuneLease = new Option<double>("--fine-tune-lease") { Description = "seconds after a crash before another replica resumes a running fine-tuning job from its last checkpoint (1 to 86400)", DefaultValueFactory = _ => 30 };
        var fileStorage = new Option<string?>("--file-storage") { Description = "where file contents (uploads, batch outputs) go: store (in the store, shared by every replica; the default with PostgreSQL), s3 (the --s3-location bucket; the default when it is given) or local (DATA_DIR/files; the default with SQLite)" };
        var s3Location = new Option<string?>("--s3-location") { Description = "s3://BUCKET[/PREFIX] for file contents in an S3-compatible bucket; credentials, region and endpoint from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION and AWS_ENDPOINT_URL_S3" };
        var kvType = KvTypeOption.Create();
        var roles = new ServeRoleOptions(); // --role prefill|decode|both and the disaggregation options (issue 7)
        var noConsole = new Option<bool>("--no-console") { Description = "do not serve the web console at / (Gateway:WebConsole=false)" };
        var noAuth = new Option<bool>("--no-auth") { Description = "serve without API keys (development only; refused unless --host is a loopback address)" };
        // Settings layers (see ServeSettings): file, CYLLM_ environment variables, then the flags typed here.
        var config = new Option<string?>("--config") { Description = "settings file (section \"Gateway\", see docs/configuration.md); default: appsettings.json in the data folder when present" };
        var redis = new Option<string?>("--redis") { Description = "Redis holding the rate-limit counters shared by all replicas: HOST:PORT, a StackExchange.Redis configuration string (host:6380,password=...,ssl=true) or a redis:// / rediss:// URL (default: in-process; prefer CYLLM_Gateway__RateLimits__Redis for a password)" };
        var inferenceTimeout = new Option<double>("--inference-timeout") { Description = "generation time limit in seconds once the engine starts a request", DefaultValueFactory = _ => 600 };
        var streamIdleTimeout = new Option<double>("--stream-idle-timeout") { Description = "longest gap in seconds between events of a stream", DefaultValueFactory = _ => 120 };
        var logFormat = new Option<string>("--log-format") { Description = "log lines as json (default) or text", DefaultValueFactory = _ => "json" };
        var otlp = new Option<string?>("--otlp-endpoint") { Description = "export traces over OTLP to this endpoint, e.g. http://127.0.0.1:4317" };
        var cmd = new Command("serve", "serve a model over an OpenAI-compatible HTTP API")
        {
            config, redis, inferenceTimeout, streamIdleTimeout, logFormat, otlp,
            noAuth, noConsole, kvType, maxRunning, maxBatchTokens, kvCacheBytes, maxQueueTokens,
            skipHealth, maxUpload, batchLease, fineTuneLease, fileStorage, s3Location,
            model, tokenizer, threads, context, chatTemplate, store, host, port, maxQueue, modelId, requestTimeout, queueTimeout, maxBody, dataDir,
        };
        roles.AddTo(cmd);
        cmd.SetAction(CliRunner.Guard(parse =>
        {
            // hf: references become files in the Hub cache (pulled first when missing, the download recorded as a task in
            // this data folder) before the settings are layered, since the model list is validated as paths there.
            string[] typedModels = [.. (parse.GetValue(model) ?? []).Select(m => ModelSource.ResolveIfHub(m, parse.GetValue(dataDir))!)];

            // The built-in model is resolved only when neither --model nor Gateway:Models names one (below).
            var options = new GatewayOptions
            {
                ModelPath = typedModels.Length > 0 ? typedModels[0] : DefaultModel.Find(),
                TokenizerPath = parse.GetValue(tokenizer),
                ModelId = parse.GetValue(modelId),
                Threads = parse.GetValue(threads),
                ContextTokens = parse.GetValue(context),
                ChatTemplate = ChatTemplateOption.Resolve(parse.GetValue(chatTemplate)),
                Host = parse.GetValue(host)!,
                Port = parse.GetValue(port),
                MaxQueue = parse.GetValue(maxQueue),
                MaxBodyBytes = parse.GetValue(maxBody),
                RequestTimeout = TimeSpan.FromSeconds(parse.GetValue(requestTimeout)),
                QueueTimeout = TimeSpan.FromSeconds(parse.GetValue(queueTimeout)),
                DataDirectory = DataDirectory.Resolve(parse.GetValue(dataDir)),
                MaxUploadBytes = parse.GetValue(maxUpload),
                BatchLeaseDuration = TimeSpan.FromSeconds(parse.GetValue(batchLease)),
                FineTuneLeaseDuration = SafeSeconds(parse.GetValue(fineTuneLease)),
                AuthDisabled = parse.GetValue(noAuth),
                KvCacheType = KvTypeOption.Parse(parse.GetValue(kvType)),
            };
            if (ServeSettings.Load(parse, options, config,
                [(port, "Gateway:Port"), (host, "Gateway:Host"), (maxQueue, "Gateway:MaxQueue"), (modelId, "Gateway:ModelId"), (threads, "Gateway:Threads"),
                 (context, "Gateway:ContextTokens"), (requestTimeout, "Gateway:RequestTimeout"), (queueTimeout, "Gateway:QueueTimeout"),
                 (maxBody, "Gateway:MaxBodyBytes"), (maxUpload, "Gateway:MaxUploadBytes"), (batchLease, "Gateway:BatchLeaseDuration"), (fineTuneLease, "Gateway:FineTuneLeaseDuration"), (fileStorage, "Gateway:FileStorage"), (s3Location, "Gateway:S3Location"), (noAuth, "Gateway:AuthDisabled"),
                 (redis, "Gateway:RateLimits:Redis"), (inferenceTimeout, "Gateway:InferenceTimeout"), (streamIdleTimeout, "Gateway:StreamIdleTimeout"),
                 (logFormat, "Gateway:LogFormat"), (otlp, "Gateway:OtlpEndpoint"),
                 (maxRunning, "Gateway:MaxRunning"), (maxBatchTokens, "Gateway:MaxBatchTokens"), (kvCacheBytes, "Gateway:KvCacheBytes"), (maxQueueTokens, "Gateway:MaxQueueTokens")], typedModels) is not { } layered)
            {
                return 2;
            }

            // Typed --model flags were layered as the command line's Gateway:Models, so they replace a configured list.
            string[] given = layered.ModelPaths is { Count: > 0 } list ? [.. list] : [];
            string path = DefaultModel.Resolve(given.Length > 0 ? given[0] : ModelSource.ResolveIfHub(layered.ModelPath, layered.DataDirectory));
            options = layered with { ModelPath = path, ModelPaths = null };
            options = roles.Apply(parse, options);
            if (parse.GetValue(noConsole))
            {
                options = options with { WebConsole = false };
            }

            // --store (or CYLLM_STORE) wins over a configured store: replicas of one deployment share the flag or variable.
            string? storeValue = parse.GetValue(store) is { Length: > 0 } sv ? sv : Environment.GetEnvironmentVariable(StoreLocation.EnvironmentVariable);
            if (!string.IsNullOrWhiteSpace(storeValue))
            {
                var location = StoreLocation.Resolve(storeValue, options.DataDirectory!);
                options = options with { PostgresConnectionString = location.PostgresConnectionString, SqlitePath = location.SqlitePath };
            }
            foreach (string p in given.Length > 0 ? given : [path])
            {
                if (!File.Exists(p) && !Directory.Exists(p))
                {
                    throw new FileNotFoundException($"model not found: {p}");
                }
            }

            if (given.Length > 1 || (given.Length == 1 && Directory.Exists(path) && !File.Exists(Path.Combine(path, "config.json"))))
            {
                // Several base models (or a folder of them): the first is the default and what the health check hashes.
                options = options with { ModelPaths = given };
                var models = ModelCatalog.Expand(options);
                var problems = ModelCatalog.Validate(options);
                if (problems.Count > 0 || models.Count == 0)
                {
                    throw new ArgumentException(problems.Count > 0 ? string.Join("; ", problems) : $"no model found in {path}");
                }

                options = options with { ModelPath = models[0].Path };
            }

            if (!parse.GetValue(skipHealth))
            {
                // Before binding: a broken database, a full disk or a changed model file stops the start with the reasons.
                var report = CyLlm.Gateway.State.StartupHealth.RunBeforeStartAsync(options).GetAwaiter().GetResult();
                if (!report.Healthy)
                {
                    Console.Error.WriteLine(report.Summary());
                    Console.Error.WriteLine("error: the start-up health check failed (see above). Fix: correct the failed check, or pass --skip-health-check to start anyway");
                    return 1;
                }
            }

            var app = GatewayApp.Build(options);
            app.StartAsync().GetAwaiter().GetResult();
            Console.Error.WriteLine($"cyllm: serving {path} at {app.BaseUrl}/v1 (OpenAI-compatible; GET {app.BaseUrl}/health); Ctrl+C to stop");
            app.WaitForShutdownAsync().GetAwaiter().GetResult();
            app.DisposeAsync().AsTask().GetAwaiter().GetResult();
            return 0;
        }));
        return cmd;
    }

    /// <summary>Seconds as a span for validation to judge; NaN and values beyond TimeSpan become out-of-range spans, not a crash.</summary>
    private static TimeSpan SafeSeconds(double seconds) =>
        double.IsNaN(seconds) || seconds <= 0 ? TimeSpan.Zero : seconds >= TimeSpan.MaxValue.TotalSeconds ? TimeSpan.MaxValue : TimeSpan.FromSeconds(seconds);
}
