using System.Security.Cryptography;
using System.Text.Json;
using CyLlm.Gateway.Errors;
using CyLlm.Training.FineTuning;

namespace CyLlm.Gateway.Endpoints.FineTuning;

/// <summary>
/// Checks a create request field by field (every rejection names its parameter) and turns it into the stored
/// <see cref="FineTuneJobSpec"/>. File ids are resolved by the handler, which passes their paths in.
/// </summary>
public static class FineTuningRequestMapper
{
    private static readonly string[] LoraTargets = ["q", "k", "v", "o", "gate", "up", "down"];

    public static FineTuneJobSpec ToSpec(CreateFineTuningJobRequest r, string model, string trainingPath, string? validationPath)
    {
        RejectExtra(r.Extra, "");
        var hp = r.Hyperparameters;
        string hpPath = "hyperparameters";
        if (r.Method is { } m)
        {
            RejectExtra(m.Extra, "method.");
            if (m.Type is not (null or "supervised"))
            {
                throw ApiError.BadRequest($"method.type '{m.Type}' is not supported; only 'supervised' fine-tuning runs here", "method.type");
            }

            if (m.Supervised is { } sup)
            {
                RejectExtra(sup.Extra, "method.supervised.");
                if (sup.Hyperparameters is not null)
                {
                    if (hp is not null)
                    {
                        throw ApiError.BadRequest("give hyperparameters either at the top level or in method.supervised, not both", "hyperparameters");
                    }

                    hp = sup.Hyperparameters;
                    hpPath = "method.supervised.hyperparameters";
                }
            }
        }

        if (hp is not null)
        {
            RejectExtra(hp.Extra, hpPath + ".");
        }

        string method = r.TrainingMethod ?? FineTuneMethods.Lora;
        if (!FineTuneMethods.All.Contains(method))
        {
            throw ApiError.BadRequest($"training_method must be 'lora' or 'full' (got '{method}')", "training_method");
        }

        var lora = r.Lora;
        if (lora is not null)
        {
            RejectExtra(lora.Extra, "lora.");
            if (method != FineTuneMethods.Lora)
            {
                throw ApiError.BadRequest("lora settings apply only to training_method 'lora'", "lora");
            }
        }

        int rank = lora?.Rank ?? 8;
        if (rank is < 1 or > 256)
        {
            throw ApiError.BadRequest($"lora.rank must be between 1 and 256 (got {rank})", "lora.rank");
        }

        double alpha = lora?.Alpha ?? 2.0 * rank;
        if (!(alpha > 0) || alpha > 4096)
        {
            throw ApiError.BadRequest($"lora.alpha must be in (0, 4096] (got {alpha})", "lora.alpha");
        }

        double dropout = lora?.Dropout ?? 0;
        if (!(dropout >= 0 && dropout < 1))
        {
            throw ApiError.BadRequest($"lora.dropout must be in [0, 1) (got {dropout})", "lora.dropout");
        }

        string[] targets = lora?.TargetModules ?? ["q", "v"];
        if (targets.Length == 0 || targets.Any(t => !LoraTargets.Contains(t)) || targets.Distinct().Count() != targets.Length)
        {
            throw ApiError.BadRequest($"lora.target_modules must be distinct names among {string.Join(", ", LoraTargets)}", "lora.target_modules");
        }

        if (r.Suffix is { } suffix && (suffix.Length is 0 or > 64 || !suffix.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
        {
            throw ApiError.BadRequest("suffix must be 1–64 characters of letters, digits, '-' and '_'", "suffix");
        }

        if (r.Metadata is { Count: > 16 } || r.Metadata?.Any(kv => kv.Key.Length > 64 || kv.Value.Length > 512) == true)
        {
            throw ApiError.BadRequest("metadata holds at most 16 pairs, keys up to 64 and values up to 512 characters", "metadata");
        }

        int priority = r.Priority ?? 0;
        if (priority is < -1000 or > 1000)
        {
            throw ApiError.BadRequest($"priority must be between -1000 and 1000 (got {priority})", "priority");
        }

        var es = r.EarlyStopping;
        if (es is not null)
        {
            RejectExtra(es.Extra, "early_stopping.");
            if (es.Patience is < 1 or > 1000)
            {
                throw ApiError.BadRequest("early_stopping.patience must be between 1 and 1000", "early_stopping.patience");
            }

            if (es.MinDelta is < 0)
            {
                throw ApiError.BadRequest("early_stopping.min_delta must not be negative", "early_stopping.min_delta");
            }

            if (validationPath is null)
            {
                throw ApiError.BadRequest("early stopping needs a validation_file", "validation_file");
            }
        }

        return new FineTuneJobSpec
        {
            Model = model,
            TrainingFileId = r.TrainingFile!,
            TrainingFilePath = trainingPath,
            ValidationFileId = r.ValidationFile,
            ValidationFilePath = validationPath,
            NEpochs = IntOrAuto(hp?.NEpochs, $"{hpPath}.n_epochs", 1, 100),
            BatchSize = IntOrAuto(hp?.BatchSize, $"{hpPath}.batch_size", 1, 256),
            LearningRateMultiplier = NumberOrAuto(hp?.LearningRateMultiplier, $"{hpPath}.learning_rate_multiplier", 1e-4, 100),
            Method = method,
            LoraRank = rank,
            LoraAlpha = alpha,
            LoraDropout = dropout,
            LoraTargets = targets,
            Suffix = r.Suffix,
            Seed = r.Seed ?? RandomNumberGenerator.GetInt32(int.MaxValue),
            Priority = priority,
            EarlyStoppingPatience = es?.Patience ?? 0,
            EarlyStoppingMinDelta = es?.MinDelta ?? 0,
            Metadata = r.Metadata,
        };
    }

    private static void RejectExtra(Dictionary<string, JsonElement>? extra, string prefix)
    {
        if (extra is { Count: > 0 })
        {
            throw ApiError.Unsupported(prefix + extra.Keys.First());
        }
    }

    private static int? IntOrAuto(JsonElement? e, string param, int min, int max)
    {
        if (e is not { } v || v.ValueKind == JsonValueKind.Null || (v.ValueKind == JsonValueKind.String && v.GetString() == "auto"))
        {
            return null;
        }

        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int n) && n >= min && n <= max)
        {
            return n;
        }

        throw ApiError.BadRequest($"{param} must be \"auto\" or an integer from {min} to {max}", param);
    }

    private static double? NumberOrAuto(JsonElement? e, string param, double min, double max)
    {
        if (e is not { } v || v.ValueKind == JsonValueKind.Null || (v.ValueKind == JsonValueKind.String && v.GetString() == "auto"))
        {
            return null;
        }

        if (v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out double d) && d >= min && d <= max)
        {
            return d;
        }

        throw ApiError.BadRequest($"{param} must be \"auto\" or a number from {min} to {max}", param);
    }
}
