using System.Globalization;
using CyLlm.Engine;
using CyLlm.Engine.Disaggregation;
using CyLlm.Engine.Sampling;
using CyLlm.Engine.Scheduling;

namespace CyLlm.Disaggregation.Worker;

/// <summary>
/// <c>dotnet CyLlm.Disaggregation.Worker.dll prefill|decode --model PATH --bootstrap HOST:PORT [--heartbeat-ms N]
/// [--missed N] [--alloc TOKENS] [--stall-after CHUNKS] [--context N]</c>. Prints <c>ready ...</c>, then reads commands
/// from stdin, one per line: <c>prefill ROOM T,T,...</c> (prefill role), <c>decode ROOM MAXTOKENS T,T,...</c> (decode role),
/// <c>kv</c> (prints <c>kv USED_BLOCKS ACTIVE_ROOMS</c>). Outcomes: <c>result ROOM ok T,T,...</c> / <c>result ROOM error REASON</c>.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var stdout = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
        Console.SetOut(stdout);
        if (args.Length > 0 && args[0] == "bench")
        {
            return await Bench.RunAsync(Opt(args, "--model") ?? throw new ArgumentException("--model is required"),
                Int(Opt(args, "--prompt") ?? "1024"), Int(Opt(args, "--reps") ?? "5"), Int(Opt(args, "--transfer-tokens") ?? "2000"));
        }

        if (args.Length == 0 || args[0] is not ("prefill" or "decode"))
        {
            Console.Error.WriteLine("usage: prefill|decode --model PATH --bootstrap HOST:PORT [--heartbeat-ms N] [--missed N] [--alloc TOKENS] [--stall-after CHUNKS] [--context N]");
            return 2;
        }

        string role = args[0];
        string model = Opt(args, "--model") ?? throw new ArgumentException("--model is required");
        var bootstrap = KvEndpoint.Parse(Opt(args, "--bootstrap") ?? throw new ArgumentException("--bootstrap is required"));
        var options = new DisaggregationOptions
        {
            HeartbeatInterval = TimeSpan.FromMilliseconds(Int(Opt(args, "--heartbeat-ms") ?? "50")),
            MissedHeartbeats = Int(Opt(args, "--missed") ?? "3"),
            AllocationTokens = Int(Opt(args, "--alloc") ?? "64"),
            StallAfterChunks = Int(Opt(args, "--stall-after") ?? int.MaxValue.ToString(CultureInfo.InvariantCulture)),
        };
        using var engine = InferenceEngine.Load(model, null, new EngineOptions { Threads = 1, ContextTokens = Int(Opt(args, "--context") ?? "512") });
        using var serving = new ServingEngine(engine, new ServingOptions { KvCacheBytes = 8 << 20 });
        using var registry = new BootstrapClient(bootstrap);
        var lockObj = new Lock();
        void Say(string line)
        {
            lock (lockObj)
            {
                Console.WriteLine(line);
            }
        }

        PrefillServer? prefill = null;
        DecodeClient? decode = null;
        if (role == "prefill")
        {
            prefill = new PrefillServer(serving, registry, options);
            Say($"ready {prefill.Endpoint}");
        }
        else
        {
            decode = new DecodeClient(serving, registry, options);
            Say("ready decode");
        }

        var running = new List<Task>();
        while (await Console.In.ReadLineAsync() is { } line)
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0)
            {
                continue;
            }

            switch (parts[0])
            {
                case "kv":
                    // Wait for the loop to publish its gauges after the last release (a few steps at most).
                    await Task.Delay(50);
                    Say($"kv {(parts.Length > 1 ? parts[1] + " " : "")}{serving.UsedBlocks} {prefill?.ActiveRooms ?? decode!.ActiveRooms}");
                    break;
                case "prefill" when prefill is not null:
                    {
                        var room = new RoomId(ulong.Parse(parts[1], CultureInfo.InvariantCulture));
                        var request = new ServingRequest(Tokens(parts[2]), new SamplingParams { Temperature = 0, MaxTokens = 1 });
                        running.Add(Task.Run(async () =>
                        {
                            try
                            {
                                await prefill.PrefillAsync(room, request);
                                Say($"result {room.Value} ok");
                            }
                            catch (KvTransferException ex)
                            {
                                Say($"result {room.Value} error {ex.Reason}");
                            }
                        }));
                        break;
                    }

                case "decode" when decode is not null:
                    {
                        var room = new RoomId(ulong.Parse(parts[1], CultureInfo.InvariantCulture));
                        var request = new ServingRequest(Tokens(parts[3]), new SamplingParams { Temperature = 0, MaxTokens = Int(parts[2]), IgnoreEos = true });
                        running.Add(Task.Run(async () =>
                        {
                            try
                            {
                                var handle = await decode.GenerateAsync(room, request);
                                var result = await handle.Completion;
                                Say($"result {room.Value} ok {string.Join(',', result.TokenIds)}");
                            }
                            catch (KvTransferException ex)
                            {
                                Say($"result {room.Value} error {ex.Reason}");
                            }
                        }));
                        break;
                    }

                case "quit":
                    await Task.WhenAll(running);
                    if (prefill is not null)
                    {
                        await prefill.DisposeAsync();
                    }

                    if (decode is not null)
                    {
                        await decode.DisposeAsync();
                    }

                    return 0;
                default:
                    Console.Error.WriteLine($"unknown command: {line}");
                    break;
            }
        }

        return 0;
    }

    private static string? Opt(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static int Int(string s) => int.Parse(s, CultureInfo.InvariantCulture);

    private static int[] Tokens(string csv) => csv.Split(',').Select(Int).ToArray();
}
