using System.Collections;
using System.Diagnostics;
using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace CyLlm.Gateway.Configuration;

/// <summary>
/// Layers the gateway's settings, lowest precedence first: the built-in defaults (and the flag values the CLI
/// parsed), <c>appsettings.json</c> (<c>--config FILE</c>, else one in the data folder when present), environment
/// variables <c>CYLLM_Gateway__Port</c> (prefix CYLLM_, "__" for ":"), then the flags the user actually typed.
/// Everything lives under the "Gateway" section with the <see cref="GatewayOptions"/> property names
/// (<c>Gateway:RateLimits:PerTenant:RequestsPerMinute</c>). Every problem is collected — unknown keys, values that do
/// not parse, then <see cref="GatewayOptions.Validate"/> — so one start reports them all.
/// </summary>
public static class GatewayConfiguration
{
    public const string Section = "Gateway";
    public const string EnvironmentPrefix = "CYLLM_";
    public const string FileName = "appsettings.json";

    /// <summary>The base-model list (<see cref="GatewayOptions.ModelPaths"/>): an array of paths, like repeated --model.</summary>
    public const string ModelsKey = "Gateway:Models";

    /// <summary>The CLI flag of each setting, for messages that name both.</summary>
    public static readonly IReadOnlyDictionary<string, string> Flags = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["Gateway:ModelPath"] = "--model",
        ["Gateway:Models"] = "--model",
        ["Gateway:TokenizerPath"] = "--tokenizer",
        ["Gateway:ModelId"] = "--model-id",
        ["Gateway:Threads"] = "--threads",
        ["Gateway:ContextTokens"] = "--context",
        ["Gateway:Host"] = "--host",
        ["Gateway:Port"] = "--port",
        ["Gateway:MaxQueue"] = "--max-queue",
        ["Gateway:MaxQueueTokens"] = "--max-queue-tokens",
        ["Gateway:MaxRunning"] = "--max-running",
        ["Gateway:MaxBatchTokens"] = "--max-batch-tokens",
        ["Gateway:KvCacheBytes"] = "--kv-cache-bytes",
        ["Gateway:MaxBodyBytes"] = "--max-body-bytes",
        ["Gateway:MaxUploadBytes"] = "--max-upload-bytes",
        ["Gateway:RequestTimeout"] = "--request-timeout",
        ["Gateway:QueueTimeout"] = "--queue-timeout",
        ["Gateway:InferenceTimeout"] = "--inference-timeout",
        ["Gateway:StreamIdleTimeout"] = "--stream-idle-timeout",
        ["Gateway:BatchLeaseDuration"] = "--batch-lease",
        ["Gateway:FineTuneLeaseDuration"] = "--fine-tune-lease",
        ["Gateway:DataDirectory"] = "--data-dir",
        ["Gateway:AuthDisabled"] = "--no-auth",
        ["Gateway:RateLimits:Redis"] = "--redis",
        ["Gateway:LogFormat"] = "--log-format",
        ["Gateway:OtlpEndpoint"] = "--otlp-endpoint",
    };

    /// <summary>
    /// Builds the options. <paramref name="flags"/> holds only the flags the user typed, keyed by setting
    /// ("Gateway:Port" → "9000"); <paramref name="environment"/> is the process environment (tests pass their own).
    /// </summary>
    public static GatewayConfigResult Load(GatewayOptions defaults, string? configFile, IReadOnlyDictionary<string, string?>? flags = null, IDictionary? environment = null)
    {
        var errors = new List<string>();
        var sources = new List<string> { "defaults" };
        var layers = new List<(string Source, IConfiguration Config)>();

        string? file = configFile;
        if (file is null && defaults.DataDirectory is { } dir && File.Exists(Path.Combine(dir, FileName)))
        {
            file = Path.Combine(dir, FileName);
        }

        if (file is not null)
        {
            if (!File.Exists(file))
            {
                errors.Add($"--config: the settings file '{file}' does not exist");
            }
            else
            {
                try
                {
                    layers.Add(($"file {file}", new ConfigurationBuilder().AddJsonFile(Path.GetFullPath(file), optional: false, reloadOnChange: false).Build()));
                    sources.Add($"file {file}");
                }
                catch (Exception e) when (e is FormatException or InvalidDataException or IOException or System.Text.Json.JsonException)
                {
                    errors.Add($"--config: the settings file '{file}' is not valid JSON: {e.InnerException?.Message ?? e.Message}");
                }
            }
        }

        var env = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (DictionaryEntry e in environment ?? Environment.GetEnvironmentVariables())
        {
            if (e.Key is string k && k.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase))
            {
                string key = k[EnvironmentPrefix.Length..].Replace("__", ":", StringComparison.Ordinal);
                // Only the Gateway section: CYLLM_OBJ, CYLLM_TEST_PG and friends belong to other tools.
                if (key.StartsWith(Section + ":", StringComparison.OrdinalIgnoreCase))
                {
                    env[key] = e.Value as string;
                }
            }
        }

        if (env.Count > 0)
        {
            layers.Add(("environment (CYLLM_)", new ConfigurationBuilder().AddInMemoryCollection(env).Build()));
            sources.Add($"environment ({env.Count} CYLLM_ variables)");
        }

        if (flags is { Count: > 0 })
        {
            layers.Add(("command line", new ConfigurationBuilder().AddInMemoryCollection(flags).Build()));
            sources.Add("command line");
        }

        var options = defaults with { };
        foreach (var (source, config) in layers)
        {
            options = (GatewayOptions)Bind(typeof(GatewayOptions), options, config.GetSection(Section), Section, source, errors);
        }

        foreach (string problem in options.Validate())
        {
            // Validate names flags ("--port must be ..."); add the settings key so file and env users find it too.
            // Model-list problems name the list when one is set (the flag is --model either way).
            var key = (problem.StartsWith("--model ", StringComparison.Ordinal) || problem.StartsWith("--model:", StringComparison.Ordinal)) && options.ModelPaths is { Count: > 0 }
                ? ModelsKey
                : Flags.FirstOrDefault(f => problem.StartsWith(f.Value + " ", StringComparison.Ordinal)).Key;
            errors.Add(key is null ? problem : $"{key}: {problem}");
        }
        return new GatewayConfigResult(options, errors, sources);
    }

    /// <summary>Applies <paramref name="section"/> onto a copy of <paramref name="target"/> (records are cloned, so
    /// shared defaults are never mutated). Unknown keys and unparsable values become errors.</summary>
    private static object Bind(Type type, object target, IConfigurationSection section, string path, string source, List<string> errors)
    {
        object copy = Clone(target);
        foreach (var child in section.GetChildren())
        {
            string key = $"{path}:{child.Key}";
            var prop = FindProperty(type, child.Key);
            if (prop is null || prop.SetMethod is null || !IsBindable(prop.PropertyType))
            {
                errors.Add($"{key} ({source}) is not a setting. Fix: remove it or check its spelling against docs/configuration.md");
                continue;
            }

            var t = prop.PropertyType;
            if (SettingParser.IsSimple(t))
            {
                if (child.GetChildren().Any())
                {
                    errors.Add($"{Name(key)} ({source}) must be a single value, not a section");
                }
                else if (SettingParser.TryParse(t, child.Value, out object? value, out string expected))
                {
                    prop.SetValue(copy, value);
                }
                else
                {
                    errors.Add($"{Name(key)} ({source}) must be {expected} (got '{child.Value}')");
                }
            }
            else if (t == typeof(IReadOnlyList<string>))
            {
                // A layer's list replaces the lower layers' whole list (command line over environment over file).
                if (BindList(child, key, source, errors) is { } list)
                {
                    prop.SetValue(copy, list);
                }
            }
            else if (IsRuleMap(t, out var valueType))
            {
                var map = (IDictionary)Activator.CreateInstance(t, StringComparer.Ordinal)!;
                if (prop.GetValue(copy) is IDictionary previous)
                {
                    foreach (DictionaryEntry existing in previous)
                    {
                        map[existing.Key] = existing.Value;
                    }
                }

                foreach (var entry in child.GetChildren())
                {
                    if (SettingParser.IsSimple(valueType))
                    {
                        // A map of plain values (e.g. TenantDefaultPriorities: tenant -> priority).
                        if (SettingParser.TryParse(valueType, entry.Value, out object? v, out string expectedValue))
                        {
                            map[entry.Key] = v;
                        }
                        else
                        {
                            errors.Add($"{key}:{entry.Key} ({source}) must be {expectedValue} (got '{entry.Value}')");
                        }

                        continue;
                    }

                    object start = map.Contains(entry.Key) ? map[entry.Key]! : Activator.CreateInstance(valueType)!;
                    map[entry.Key] = Bind(valueType, start, entry, $"{key}:{entry.Key}", source, errors);
                }

                prop.SetValue(copy, map);
            }
            else
            {
                object current = prop.GetValue(copy) ?? Activator.CreateInstance(t)!;
                prop.SetValue(copy, Bind(t, current, child, key, source, errors));
            }
        }

        return copy;
    }

    /// <summary>
    /// A list of non-empty strings: a JSON array (keys :0, :1, ... in the configuration; CYLLM_Gateway__Models__0 in
    /// the environment) or one plain value meaning a one-entry list. Bad entries are reported and left out; null when
    /// none is left (the lower layers' list then stays).
    /// </summary>
    private static IReadOnlyList<string>? BindList(IConfigurationSection section, string key, string source, List<string> errors)
    {
        var entries = section.GetChildren().ToList();
        if (entries.Count == 0)
        {
            if (string.IsNullOrWhiteSpace(section.Value))
            {
                errors.Add($"{Name(key)} ({source}) must be a list of paths, not empty");
                return null;
            }

            return [section.Value];
        }

        var items = new SortedDictionary<int, string>();
        foreach (var entry in entries)
        {
            if (!int.TryParse(entry.Key, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int index))
            {
                errors.Add($"{key}:{entry.Key} ({source}) is not a list entry. Fix: give {key} as a JSON array of paths (or {key}:0, {key}:1, ...)");
            }
            else if (entry.GetChildren().Any())
            {
                errors.Add($"{key}:{entry.Key} ({source}) must be a path, not a section");
            }
            else if (string.IsNullOrWhiteSpace(entry.Value))
            {
                errors.Add($"{key}:{entry.Key} ({source}) must be a path (a model file or a folder of models), not empty");
            }
            else
            {
                items[index] = entry.Value;
            }
        }

        // The good entries still bind (when there are any), so validation reports their problems in the same start.
        // Indexes may skip (an environment variable removed from the middle); the order is what counts.
        return items.Count > 0 ? [.. items.Values] : null;
    }

    /// <summary>The property a key sets: by [ConfigurationKeyName] when the property has one, else by its name.</summary>
    private static PropertyInfo? FindProperty(Type type, string key)
    {
        foreach (var p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            string name = p.GetCustomAttribute<ConfigurationKeyNameAttribute>()?.Name ?? p.Name;
            if (string.Equals(name, key, StringComparison.OrdinalIgnoreCase))
            {
                return p;
            }
        }

        return null;
    }

    /// <summary>"Gateway:Port (--port)" when the setting has a flag.</summary>
    private static string Name(string key) => Flags.TryGetValue(key, out string? flag) ? $"{key} ({flag})" : key;

    private static bool IsBindable(Type t) =>
        SettingParser.IsSimple(t) || t == typeof(IReadOnlyList<string>) || IsRuleMap(t, out _) || (t.IsClass && t.Namespace?.StartsWith("CyLlm.Gateway", StringComparison.Ordinal) == true && t.GetConstructor(Type.EmptyTypes) is not null);

    private static bool IsRuleMap(Type t, out Type valueType)
    {
        valueType = typeof(object);
        if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(Dictionary<,>) && t.GetGenericArguments()[0] == typeof(string))
        {
            valueType = t.GetGenericArguments()[1];
            return true;
        }

        return false;
    }

    /// <summary>A shallow copy through the record's compiler-generated clone method.</summary>
    private static object Clone(object record)
    {
        var clone = record.GetType().GetMethod("<Clone>$", BindingFlags.Public | BindingFlags.Instance);
        Debug.Assert(clone is not null, "bound settings types are records");
        return clone!.Invoke(record, null)!;
    }
}
