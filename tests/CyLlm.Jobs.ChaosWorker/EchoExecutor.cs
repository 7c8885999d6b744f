using System.Globalization;
using System.Text.Json;
using CyLlm.Jobs.Batches;

namespace CyLlm.Jobs.ChaosWorker;

/// <summary>
/// Answers a batch line with <c>{"echo": custom_id, "index": i}</c> after <c>lineMs</c> of "model time", first appending
/// "OWNER INDEX" to the execution log and printing "exec INDEX" so the test knows what ran and when to kill.
/// </summary>
internal sealed class EchoExecutor(string owner, string execLog, int lineMs) : IBatchLineExecutor
{
    private readonly Lock logGate = new();

    public async Task<BatchLineResponse> ExecuteAsync(BatchRequestLine line, CancellationToken ct)
    {
        // Several lines run at once: one append at a time (a concurrent open of the log would fail).
        lock (logGate)
        {
            File.AppendAllText(execLog, string.Create(CultureInfo.InvariantCulture, $"{owner} {line.Index}\n"));
        }

        Modes.Say(string.Create(CultureInfo.InvariantCulture, $"exec {line.Index}"));
        await Task.Delay(lineMs, ct);
        return new BatchLineResponse(200, JsonSerializer.Serialize(new { echo = line.CustomId, index = line.Index }));
    }
}
