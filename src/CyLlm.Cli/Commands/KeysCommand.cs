using System.CommandLine;
using System.Globalization;
using CyLlm.Gateway.Auth;
using CyLlm.Jobs.Storage;

namespace CyLlm.Cli.Commands;

/// <summary>
/// `cyllm keys create|list|revoke|rotate`: API keys in the data folder's database, usable while the server runs (it
/// sees changes within its key cache TTL, 2 s). `create` and `rotate` print the new key alone on stdout (so
/// <c>KEY=$(cyllm keys create …)</c> works) and everything else on stderr; the key is shown only then. `list`
/// prints names and prefixes, never keys or hashes.
/// </summary>
internal static class KeysCommand
{
    public static Command Create()
    {
        var cmd = new Command("keys", "create, list, revoke and rotate API keys");
        cmd.Subcommands.Add(CreateKey());
        cmd.Subcommands.Add(ListKeys());
        cmd.Subcommands.Add(RevokeKey());
        cmd.Subcommands.Add(RotateKey());
        return cmd;
    }

    private static Command CreateKey()
    {
        var dataDir = DataDirectory.Option();
        var store = StoreLocation.Option();
        var tenant = TenantOption($"tenant the key belongs to (created when missing; default '{Caller.DefaultTenant}', operator tenant '{Caller.OperatorTenant}')");
        var scope = new Option<string[]>("--scope") { Description = "scope to grant: inference, admin, metrics, worker (repeatable; default inference; worker = only the /internal/disaggregation routes, for a router's --worker-api-key)", Arity = ArgumentArity.ZeroOrMore };
        var model = new Option<string[]>("--model") { Description = "model the key may use (repeatable; default: all models)", Arity = ArgumentArity.ZeroOrMore };
        var expiresIn = new Option<string?>("--expires-in") { Description = "lifetime, e.g. 30d, 12h, 2w (default: never expires)" };
        var expiresAt = new Option<string?>("--expires-at") { Description = "expiry as an ISO 8601 time (2027-01-31T00:00:00Z) or Unix seconds" };
        var name = new Option<string?>("--name") { Description = $"display name to tell keys apart (at most {ApiKeyService.MaxNameLength} characters, no control characters)" };
        var cmd = new Command("create", "create an API key and print it (once) on stdout") { dataDir, store, tenant, scope, model, expiresIn, expiresAt, name };
        cmd.SetAction(CliRunner.Guard(parse =>
        {
            var now = TimeProvider.System.GetUtcNow();
            DateTimeOffset? expires = (parse.GetValue(expiresIn), parse.GetValue(expiresAt)) switch
            {
                (not null, not null) => throw new ArgumentException("give --expires-in or --expires-at, not both"),
                (string d, null) => now + DurationText.Parse(d, "--expires-in"),
                (null, string at) => ParseTime(at),
                _ => null,
            };
            string[] scopes = parse.GetValue(scope) is { Length: > 0 } s ? s : [AuthScopes.Inference];
            string t = parse.GetValue(tenant) ?? Caller.DefaultTenant;
            string? keyName = CheckName(parse.GetValue(name));
            return StateStore.Run(parse.GetValue(dataDir), parse.GetValue(store), async store =>
            {
                var issued = await new ApiKeyService(store, TimeProvider.System).CreateAsync(new ApiKeySpec(t, scopes, parse.GetValue(model) ?? [], expires, keyName), createTenant: true);
                var k = issued.Record;
                Console.Error.WriteLine($"created key {k.Id}{(k.Name is null ? "" : $" \"{k.Name}\"")} ({k.Prefix}…) for tenant {k.TenantId}: scopes {string.Join(",", k.Scopes)}, models {Models(k)}, expires {Time(k.ExpiresAt)}");
                Console.Error.WriteLine("the key is shown only now (the server stores only its hash); send it as 'Authorization: Bearer <key>'");
                Console.Out.WriteLine(issued.Secret);
                return 0;
            });
        }));
        return cmd;
    }

    private static Command ListKeys()
    {
        var dataDir = DataDirectory.Option();
        var store = StoreLocation.Option();
        var tenant = TenantOption("only this tenant's keys (default: every tenant)");
        var cmd = new Command("list", "list API keys: id, name, prefix, tenant, scopes, models, created, expires, status") { dataDir, store, tenant };
        cmd.SetAction(CliRunner.Guard(parse => StateStore.Run(parse.GetValue(dataDir), parse.GetValue(store), async store =>
        {
            var now = TimeProvider.System.GetUtcNow();
            var keys = new List<ApiKeyRecord>();
            if (parse.GetValue(tenant) is { } only)
            {
                TenantIds.Check(only);
                keys.AddRange(await store.ListApiKeysAsync(only));
            }
            else
            {
                foreach (var t in await store.ListTenantsAsync())
                {
                    keys.AddRange(await store.ListApiKeysAsync(t.Id));
                }
            }

            var rows = new List<string[]> { new[] { "ID", "NAME", "PREFIX", "TENANT", "SCOPES", "MODELS", "CREATED", "EXPIRES", "STATUS" } };
            foreach (var k in keys)
            {
                rows.Add([k.Id, k.Name ?? "-", k.Prefix + "…", k.TenantId, string.Join(",", k.Scopes), Models(k), Time(k.CreatedAt), Time(k.ExpiresAt), Status(k, now)]);
            }

            Table.Write(Console.Out, rows);
            Console.Error.WriteLine($"{keys.Count} key(s)");
            return 0;
        })));
        return cmd;
    }

    private static Command RevokeKey()
    {
        var dataDir = DataDirectory.Option();
        var store = StoreLocation.Option();
        var tenant = TenantOption("the key's tenant (default: found by id)");
        var id = new Argument<string>("id") { Description = "key id from `cyllm keys list`" };
        var cmd = new Command("revoke", "revoke an API key now (a running server stops accepting it within 2 s)") { id, dataDir, store, tenant };
        cmd.SetAction(CliRunner.Guard(parse => StateStore.Run(parse.GetValue(dataDir), parse.GetValue(store), async store =>
        {
            string keyId = parse.GetValue(id)!;
            string t = parse.GetValue(tenant) ?? await TenantOfAsync(store, keyId);
            var k = await new ApiKeyService(store, TimeProvider.System).RevokeAsync(t, keyId);
            Console.Error.WriteLine($"revoked key {k.Id} ({k.Prefix}…) of tenant {k.TenantId}");
            return 0;
        })));
        return cmd;
    }

    private static Command RotateKey()
    {
        var dataDir = DataDirectory.Option();
        var store = StoreLocation.Option();
        var tenant = TenantOption("the key's tenant (default: found by id)");
        var id = new Argument<string>("id") { Description = "key id from `cyllm keys list`" };
        var grace = new Option<string>("--grace") { Description = "how long the old key keeps working, e.g. 24h, 30m, or 0 (default 24h, at most 30d)", DefaultValueFactory = _ => "24h" };
        var cmd = new Command("rotate", "issue a replacement key (printed once on stdout); the old one works until the grace period ends") { id, dataDir, store, tenant, grace };
        cmd.SetAction(CliRunner.Guard(parse =>
        {
            string g = parse.GetValue(grace)!;
            var span = g == "0" ? TimeSpan.Zero : DurationText.Parse(g, "--grace");
            return StateStore.Run(parse.GetValue(dataDir), parse.GetValue(store), async store =>
            {
                string keyId = parse.GetValue(id)!;
                string t = parse.GetValue(tenant) ?? await TenantOfAsync(store, keyId);
                var issued = await new ApiKeyService(store, TimeProvider.System).RotateAsync(t, keyId, span);
                var k = issued.Record;
                Console.Error.WriteLine($"rotated key {keyId} of tenant {t}: new key {k.Id} ({k.Prefix}…); the old key works until {Time(TimeProvider.System.GetUtcNow() + span)}");
                Console.Error.WriteLine("the new key is shown only now (the server stores only its hash)");
                Console.Out.WriteLine(issued.Secret);
                return 0;
            });
        }));
        return cmd;
    }

    /// <summary>Validates --name before the database is opened (bad input → one error line, exit 2).</summary>
    private static string? CheckName(string? name)
    {
        try
        {
            return ApiKeyService.CheckName(name);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"--name: {e.Message}", e);
        }
    }

    private static Option<string?> TenantOption(string description) => new("--tenant") { Description = description };

    /// <summary>The tenant holding key <paramref name="keyId"/>, searched across tenants.</summary>
    private static async Task<string> TenantOfAsync(IJobStore store, string keyId)
    {
        foreach (var t in await store.ListTenantsAsync())
        {
            foreach (var k in await store.ListApiKeysAsync(t.Id))
            {
                if (k.Id == keyId)
                {
                    return t.Id;
                }
            }
        }

        throw new InvalidOperationException($"no key '{keyId}' exists; `cyllm keys list` shows the key ids");
    }

    private static DateTimeOffset ParseTime(string text)
    {
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long unix) && unix <= 253402300799)
        {
            return DateTimeOffset.FromUnixTimeSeconds(unix);
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t) ? t
            : throw new ArgumentException($"--expires-at must be an ISO 8601 time such as 2027-01-31T00:00:00Z or Unix seconds; got '{text}'");
    }

    private static string Models(ApiKeyRecord k) => k.AllowedModels.Count == 0 ? "*" : string.Join(",", k.AllowedModels);

    private static string Time(DateTimeOffset? t) => t is { } v ? v.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "never";

    private static string Status(ApiKeyRecord k, DateTimeOffset now) => ApiKeyService.StatusOf(k, now) switch
    {
        "rotated (grace)" => $"rotated (grace until {Time(k.RotationGraceUntil)})",
        var s => s,
    };
}
