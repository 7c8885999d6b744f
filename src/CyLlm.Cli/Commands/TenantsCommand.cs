using System.CommandLine;
using System.Globalization;
using CyLlm.Gateway.Auth;

namespace CyLlm.Cli.Commands;

/// <summary>`cyllm tenants create|list|disable|enable`: tenants in the data folder's database. A disabled tenant's
/// keys are refused (401) by a running server within its key cache TTL.</summary>
internal static class TenantsCommand
{
    public static Command Create()
    {
        var cmd = new Command("tenants", "create, list, disable and enable tenants");
        cmd.Subcommands.Add(CreateTenant());
        cmd.Subcommands.Add(ListTenants());
        cmd.Subcommands.Add(SetDisabled("disable", true));
        cmd.Subcommands.Add(SetDisabled("enable", false));
        return cmd;
    }

    private static Command CreateTenant()
    {
        var dataDir = DataDirectory.Option();
        var store = StoreLocation.Option();
        var id = new Argument<string>("id") { Description = "tenant id: a-z, 0-9, '.', '_', '-'" };
        var name = new Option<string?>("--name") { Description = "display name (default: the id)" };
        var cmd = new Command("create", "create a tenant (or rename an existing one)") { id, dataDir, store, name };
        cmd.SetAction(CliRunner.Guard(parse => StateStore.Run(parse.GetValue(dataDir), parse.GetValue(store), async store =>
        {
            string t = parse.GetValue(id)!;
            TenantIds.Check(t);
            var existing = await store.GetTenantAsync(t);
            var rec = await new ApiKeyService(store, TimeProvider.System).UpsertTenantAsync(t, parse.GetValue(name), existing?.Disabled ?? false);
            Console.Error.WriteLine($"{(existing is null ? "created" : "updated")} tenant {rec.Id} ({rec.Name})");
            return 0;
        })));
        return cmd;
    }

    private static Command ListTenants()
    {
        var dataDir = DataDirectory.Option();
        var store = StoreLocation.Option();
        var cmd = new Command("list", "list tenants: id, name, created, status") { dataDir, store };
        cmd.SetAction(CliRunner.Guard(parse => StateStore.Run(parse.GetValue(dataDir), parse.GetValue(store), async store =>
        {
            var rows = new List<string[]> { new[] { "ID", "NAME", "CREATED", "STATUS" } };
            var tenants = await store.ListTenantsAsync();
            foreach (var t in tenants)
            {
                rows.Add([t.Id, t.Name, t.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture), t.Disabled ? "disabled" : "active"]);
            }

            Table.Write(Console.Out, rows);
            Console.Error.WriteLine($"{tenants.Count} tenant(s)");
            return 0;
        })));
        return cmd;
    }

    private static Command SetDisabled(string verb, bool disabled)
    {
        var dataDir = DataDirectory.Option();
        var store = StoreLocation.Option();
        var id = new Argument<string>("id") { Description = "tenant id" };
        var cmd = new Command(verb, disabled ? "refuse every key of the tenant" : "accept the tenant's keys again") { id, dataDir, store };
        cmd.SetAction(CliRunner.Guard(parse => StateStore.Run(parse.GetValue(dataDir), parse.GetValue(store), async store =>
        {
            string t = parse.GetValue(id)!;
            TenantIds.Check(t);
            if (await store.GetTenantAsync(t) is null)
            {
                throw new InvalidOperationException($"tenant '{t}' does not exist; `cyllm tenants list` shows the tenants");
            }

            await new ApiKeyService(store, TimeProvider.System).UpsertTenantAsync(t, null, disabled);
            Console.Error.WriteLine($"{verb}d tenant {t}");
            return 0;
        })));
        return cmd;
    }
}
