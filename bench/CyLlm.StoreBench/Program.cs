using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using CyLlm.StoreBench;

// Status polls against a running server (issue 17: 500 polls/s with p99 < 10 ms on a PostgreSQL store while a batch
// runs). Uploads a batch input file, creates the batch, then polls GET /v1/batches/{id} (or /v1/tasks/{id}) open-loop
// at --rate per second for --seconds: each poll is due at a fixed time and its latency counts from then, so a slow
// server is not hidden by the client waiting (no coordinated omission). Prints one JSON object.
//   dotnet bench/CyLlm.StoreBench/bin/.../CyLlm.StoreBench.dll --url http://127.0.0.1:8080 [--rate 500] [--seconds 20]
//       [--lines 200] [--max-tokens 64] [--path batches|tasks] [--key API_KEY] [--warmup 2]
string Arg(string name, string fallback) => Array.IndexOf(args, name) is int i and >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
string url = Arg("--url", "http://127.0.0.1:8080").TrimEnd('/');
int rate = int.Parse(Arg("--rate", "500"), CultureInfo.InvariantCulture);
double seconds = double.Parse(Arg("--seconds", "20"), CultureInfo.InvariantCulture);
double warmup = double.Parse(Arg("--warmup", "2"), CultureInfo.InvariantCulture);
int lines = int.Parse(Arg("--lines", "200"), CultureInfo.InvariantCulture);
int maxTokens = int.Parse(Arg("--max-tokens", "64"), CultureInfo.InvariantCulture);
string path = Arg("--path", "batches");
string? key = Arg("--key", Environment.GetEnvironmentVariable("CYLLM_API_KEY") ?? "") is { Length: > 0 } k ? k : null;
if (rate < 1 || seconds <= 0 || lines < 1 || path is not ("batches" or "tasks"))
{
    Console.Error.WriteLine("error: --rate ≥ 1, --seconds > 0, --lines ≥ 1, --path batches|tasks");
    return 2;
}

using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
{
    BaseAddress = new Uri(url),
    Timeout = TimeSpan.FromSeconds(30),
    DefaultRequestVersion = HttpVersion.Version11,
};
if (key is not null)
{
    http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
}

// The batch that runs while the polls go on: chat lines long enough that it outlasts the measurement.
var input = new StringBuilder();
for (int i = 0; i < lines; i++)
{
    input.Append(CultureInfo.InvariantCulture, $"{{\"custom_id\":\"req-{i}\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{{\"messages\":[{{\"role\":\"user\",\"content\":\"Once upon a time {i}\"}}],\"max_tokens\":{maxTokens},\"temperature\":0.8}}}}\n");
}

using var form = new MultipartFormDataContent
{
    { new StringContent("batch"), "purpose" },
    { new ByteArrayContent(Encoding.UTF8.GetBytes(input.ToString())), "file", "polls.jsonl" },
};
string fileId = (await JsonOf(await http.PostAsync("/v1/files", form))).GetProperty("id").GetString()!;
using var create = new StringContent($"{{\"input_file_id\":\"{fileId}\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}}", Encoding.UTF8, "application/json");
string batchId = (await JsonOf(await http.PostAsync("/v1/batches", create))).GetProperty("id").GetString()!;
string pollPath = path == "batches" ? $"/v1/batches/{batchId}" : $"/v1/tasks/{batchId}";

// Wait until the batch is running, so the polls meet the store while the batch worker writes to it.
var wait = Stopwatch.StartNew();
string status;
while ((status = (await JsonOf(await http.GetAsync($"/v1/batches/{batchId}"))).GetProperty("status").GetString()!) is "validating")
{
    if (wait.Elapsed > TimeSpan.FromSeconds(60))
    {
        Console.Error.WriteLine($"error: batch {batchId} still {status} after 60 s");
        return 1;
    }

    await Task.Delay(50);
}

var before = await CountsAsync();
var latencies = new List<double>();
var gate = new object();
int errors = 0, statusErrors = 0;
string? firstError = null;
long interval = Stopwatch.Frequency / rate;
long warmupTicks = (long)(warmup * Stopwatch.Frequency);
long total = (long)((warmup + seconds) * rate);
var inflight = new List<Task>((int)Math.Min(total, 1_000_000));
long start = Stopwatch.GetTimestamp();
for (long n = 0; n < total; n++)
{
    long due = start + (n * interval);
    while (Stopwatch.GetTimestamp() < due)
    {
        // Sleep most of the gap, spin the rest: Task.Delay alone has ~1 ms granularity at best.
        long left = due - Stopwatch.GetTimestamp();
        if (left > Stopwatch.Frequency / 500)
        {
            await Task.Delay(1);
        }
        else
        {
            Thread.SpinWait(20);
        }
    }

    bool measured = due - start >= warmupTicks;
    inflight.Add(PollAsync(due, measured));
}

await Task.WhenAll(inflight);
double elapsed = (double)(Stopwatch.GetTimestamp() - start) / Stopwatch.Frequency;
var after = await CountsAsync();
var summary = Percentiles.Of(latencies);
var result = new
{
    kind = "store_polls",
    url,
    poll = path == "batches" ? "GET /v1/batches/{id}" : "GET /v1/tasks/{id}",
    target_rate = rate,
    achieved_rate = Math.Round((warmup + seconds) * rate / elapsed, 1),
    seconds,
    polls = summary.Count,
    errors,
    non_200 = statusErrors,
    first_error = firstError,
    latency_ms = summary,
    p99_under_10ms = summary.P99 < 10,
    batch = batchId,
    batch_lines = lines,
    completed_before = before,
    completed_after = after,
    machine = new { cores = Environment.ProcessorCount, os = System.Runtime.InteropServices.RuntimeInformation.OSDescription },
};
Console.WriteLine(JsonSerializer.Serialize(result));

// Not left running: the bench's batch is cancelled (the server may be a shared test one).
await http.PostAsync($"/v1/batches/{batchId}/cancel", null);
return 0;

async Task PollAsync(long due, bool measured)
{
    try
    {
        using var res = await http.GetAsync(pollPath, HttpCompletionOption.ResponseContentRead);
        double ms = (double)(Stopwatch.GetTimestamp() - due) * 1000 / Stopwatch.Frequency;
        lock (gate)
        {
            if (!res.IsSuccessStatusCode)
            {
                statusErrors++;
                firstError ??= $"HTTP {(int)res.StatusCode}";
            }
            else if (measured)
            {
                latencies.Add(ms);
            }
        }
    }
    catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
    {
        lock (gate)
        {
            errors++;
            firstError ??= e.Message;
        }
    }
}

async Task<int> CountsAsync()
{
    var b = await JsonOf(await http.GetAsync($"/v1/batches/{batchId}"));
    return b.GetProperty("request_counts").GetProperty("completed").GetInt32();
}

static async Task<JsonElement> JsonOf(HttpResponseMessage res)
{
    using (res)
    {
        string body = await res.Content.ReadAsStringAsync();
        if (!res.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{(int)res.StatusCode} {res.RequestMessage?.RequestUri}: {body}");
        }

        return JsonDocument.Parse(body).RootElement.Clone();
    }
}
