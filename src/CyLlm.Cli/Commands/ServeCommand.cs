using System.CommandLine;
using CyLlm.Gateway;

namespace CyLlm.Cli.Commands;

/// <summary>`cyllm serve`: the OpenAI-compatible HTTP gateway over one model.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        // Not Required at the parser level: the default model arrives with the training issue, and until then
        // the message should say so in one line rather than print the usage screen.
        var model = new Option<string?>("--model", "-m") { Description = "model file: GGUF, llama2.c .bin, or a Hugging Face folder (required for now)" };
        var tokenizer = CommonOptions.Tokenizer();
        var threads = CommonOptions.Threads();
        var context = CommonOptions.Context();
        var host = new Option<string>("--host") { Description = "address to listen on", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "TCP port", DefaultValueFactory = _ => 8080 };
        var maxQueue = new Option<int>("--max-queue") { Description = "requests that may wait for the engine before 503 server_overloaded", DefaultValueFactory = _ => 64 };
        var modelId = new Option<string?>("--model-id") { Description = "the id clients pass as \"model\" (default: the file name)" };
        var requestTimeout = new Option<double>("--request-timeout") { Description = "total request timeout in seconds", DefaultValueFactory = _ => 600 };
        var queueTimeout = new Option<double>("--queue-timeout") { Description = "longest wait in the queue in seconds", DefaultValueFactory = _ => 60 };
        var maxBody = new Option<long>("--max-body-bytes") { Description = "largest request body in bytes (413 beyond)", DefaultValueFactory = _ => 1 << 20 };
        var dataDir = DataDirectory.Option();
        var cmd = new Command("serve", "serve a model over an OpenAI-compatible HTTP API")
        {
            model, tokenizer, threads, context, host, port, maxQueue, modelId, requestTimeout, queueTimeout, maxBody, dataDir,
        };
        cmd.SetAction(CliRunner.Guard(parse =>
        {
            string? path = parse.GetValue(model);
            if (string.IsNullOrWhiteSpace(path))
            {
                Console.Error.WriteLine("error: --model is required (the built-in default model is not available yet); e.g. cyllm serve --model model.gguf");
                return 2;
            }

            var options = new GatewayOptions
            {
                ModelPath = path,
                TokenizerPath = parse.GetValue(tokenizer),
                ModelId = parse.GetValue(modelId),
                Threads = parse.GetValue(threads),
                ContextTokens = parse.GetValue(context),
                Host = parse.GetValue(host)!,
                Port = parse.GetValue(port),
                MaxQueue = parse.GetValue(maxQueue),
                MaxBodyBytes = parse.GetValue(maxBody),
                RequestTimeout = TimeSpan.FromSeconds(parse.GetValue(requestTimeout)),
                QueueTimeout = TimeSpan.FromSeconds(parse.GetValue(queueTimeout)),
                DataDirectory = DataDirectory.Resolve(parse.GetValue(dataDir)),
            };
            if (!File.Exists(path) && !Directory.Exists(path))
            {
                throw new FileNotFoundException($"model not found: {path}");
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
}
