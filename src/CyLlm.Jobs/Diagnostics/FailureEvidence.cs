using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using CyLlm.Jobs.Storage;

namespace CyLlm.Jobs.Diagnostics;

/// <summary>
/// Writes the JSON evidence file a failed chaos or integration run leaves behind: the error, the store's diagnostics
/// (pragmas or server settings, row counts per table, the last 50 events, checkpoints, leases, idempotency statistics,
/// the focus task and its history), the checker's recent violations and any extra facts the caller adds.
/// </summary>
public static class FailureEvidence
{
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        Converters = { new TaskIdJsonConverter(), new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>
    /// Writes <c>{directory}/{scenario}-{utc}.json</c> and returns its path. Never throws for an unreachable store: the
    /// diagnostics error is recorded in the file instead.
    /// </summary>
    public static async Task<string> WriteAsync(string directory, string scenario, Exception failure, IJobStore? store,
        TaskId? focus = null, IReadOnlyDictionary<string, string>? extra = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentException.ThrowIfNullOrEmpty(scenario);
        ArgumentNullException.ThrowIfNull(failure);
        Directory.CreateDirectory(directory);
        StoreDiagnostics? diagnostics = null;
        string? diagnosticsError = null;
        if (store is not null)
        {
            try
            {
                diagnostics = await store.GetDiagnosticsAsync(focus, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                diagnosticsError = e.Message;
            }
        }

        var doc = new EvidenceDocument(
            scenario,
            DateTimeOffset.UtcNow,
            failure.GetType().FullName ?? "Exception",
            failure.Message,
            failure.StackTrace,
            diagnostics,
            diagnosticsError,
            store?.Checker.RecentViolations ?? [],
            store?.Checker.ViolationCount ?? 0,
            extra ?? new Dictionary<string, string>());
        string safe = string.Concat(scenario.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_'));
        string path = Path.Combine(directory, string.Create(CultureInfo.InvariantCulture, $"{safe}-{DateTime.UtcNow:yyyyMMddTHHmmssfff}.json"));
        // A plain write: evidence is a one-off report (CI prints the folder), and an .ok marker beside it would only add noise.
        await File.WriteAllBytesAsync(path, JsonSerializer.SerializeToUtf8Bytes(doc, JsonOptions), ct).ConfigureAwait(false);
        return path;
    }

    private sealed record EvidenceDocument(
        string Scenario,
        DateTimeOffset WrittenUtc,
        string ErrorType,
        string ErrorMessage,
        string? StackTrace,
        StoreDiagnostics? Store,
        string? StoreError,
        IReadOnlyList<TaskViolation> Violations,
        long ViolationCount,
        IReadOnlyDictionary<string, string> Extra);
}
