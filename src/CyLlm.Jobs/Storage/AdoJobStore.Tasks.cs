using System.Data.Common;

namespace CyLlm.Jobs.Storage;

/// <summary>Tasks and task events.</summary>
public abstract partial class AdoJobStore
{
    // Column order is relied on by ReadTask: 0 id, 1 tenant_id, 2 kind, 3 stage, 4 status, 5 progress, 6 error_code,
    // 7 error_message, 8 created_at, 9 updated_at, 10 started_at, 11 finished_at, 12 version, 13 input, 14 result.
    private const string TaskColumns =
        "id, tenant_id, kind, stage, status, progress, error_code, error_message, created_at, updated_at, started_at, finished_at, version, input, result";

    private const string EventColumns = "seq, task_id, at, from_stage, to_stage, status, progress, version, message";

    public Task<TaskRecord> CreateTaskAsync(TaskRecord task, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(task);
        var t = Normalize(task);
        if (t.Version != 1 || t.Stage != TaskStateMachine.InitialStage(t.Kind))
        {
            throw new IllegalTransitionException(t.Id, t.Stage, t.Stage, TaskInvariant.IllegalStageChange,
                $"a new {t.Kind} task must start in {TaskApiNames.Stage(TaskStateMachine.InitialStage(t.Kind))} at version 1 (got {TaskApiNames.Stage(t.Stage)}, v{t.Version}); use TaskStateMachine.Create");
        }

        ThrowIfInvalid(t, TaskConsistencyChecker.Validate(t), t.Stage);
        return WriteAsync(async (c, tx, ct) =>
        {
            var cmd = Command(c, tx,
                $"INSERT INTO tasks ({TaskColumns}) VALUES (@id, @tenant, @kind, @stage, @status, @progress, @ecode, @emsg, @created, @updated, @started, @finished, @version, @input, @result) ON CONFLICT (id) DO NOTHING");
            BindTask(cmd, t);
            if (await ExecAsync(cmd, ct).ConfigureAwait(false) != 1)
            {
                throw new DuplicateTaskException($"task {t.Id} already exists");
            }

            await InsertEventAsync(c, tx, t, null, "created", ct).ConfigureAwait(false);
            return t;
        }, ct);
    }

    public Task<TaskRecord?> GetTaskAsync(TaskId id, CancellationToken ct = default)
    {
        RequireId(id);
        return ReadAsync(async (c, ct) =>
        {
            var cmd = Command(c, null, $"SELECT {TaskColumns} FROM tasks WHERE id = @id");
            Param(cmd, "@id", id.Value);
            return Observe(await ReadTasksAsync(cmd, ct).ConfigureAwait(false)) is [var t] ? t : null;
        }, ct);
    }

    public Task<TaskRecord?> GetTaskForTenantAsync(string tenantId, TaskId id, CancellationToken ct = default)
    {
        RequireTenant(tenantId);
        RequireId(id);
        return ReadAsync(async (c, ct) =>
        {
            var cmd = Command(c, null, $"SELECT {TaskColumns} FROM tasks WHERE id = @id AND tenant_id = @tenant");
            Param(cmd, "@id", id.Value);
            Param(cmd, "@tenant", tenantId);
            return Observe(await ReadTasksAsync(cmd, ct).ConfigureAwait(false)) is [var t] ? t : null;
        }, ct);
    }

    public Task<IReadOnlyList<TaskRecord>> ListTasksAsync(string tenantId, TaskKind? kind = null, int limit = 20, TaskId? after = null, CancellationToken ct = default)
    {
        RequireTenant(tenantId);
        RequireLimit(limit);
        return ReadAsync(async (c, ct) =>
        {
            string sql = $"SELECT {TaskColumns} FROM tasks WHERE tenant_id = @tenant"
                + (kind is null ? "" : " AND kind = @kind")
                + (after is null ? "" : " AND (created_at, id) < ((SELECT created_at FROM tasks WHERE id = @after AND tenant_id = @tenant), @after)")
                + " ORDER BY created_at DESC, id DESC LIMIT @limit";
            var cmd = Command(c, null, sql);
            Param(cmd, "@tenant", tenantId);
            if (kind is { } k)
            {
                Param(cmd, "@kind", (long)k);
            }

            if (after is { } a)
            {
                Param(cmd, "@after", a.Value);
            }

            Param(cmd, "@limit", (long)limit);
            return Observe(await ReadTasksAsync(cmd, ct).ConfigureAwait(false));
        }, ct);
    }

    public Task<IReadOnlyList<TaskRecord>> ScanTasksAsync(TaskId? after, int limit, CancellationToken ct = default)
    {
        RequireLimit(limit);
        return ReadAsync(async (c, ct) =>
        {
            var cmd = Command(c, null, $"SELECT {TaskColumns} FROM tasks{(after is null ? "" : " WHERE id > @after")} ORDER BY id LIMIT @limit");
            if (after is { } a)
            {
                Param(cmd, "@after", a.Value);
            }

            Param(cmd, "@limit", (long)limit);
            return Observe(await ReadTasksAsync(cmd, ct).ConfigureAwait(false));
        }, ct);
    }

    public Task<IReadOnlyList<TaskRecord>> ListResumableTasksAsync(TaskKind? kind, int limit, CancellationToken ct = default)
    {
        RequireLimit(limit);
        return ReadAsync(async (c, ct) =>
        {
            string cols = "t." + TaskColumns.Replace(", ", ", t.", StringComparison.Ordinal);
            var cmd = Command(c, null,
                $"SELECT {cols} FROM tasks t LEFT JOIN leases l ON l.task_id = t.id WHERE t.status IN (0, 1)"
                + (kind is null ? "" : " AND t.kind = @kind")
                + " AND (l.task_id IS NULL OR l.expires_at <= @now) ORDER BY t.created_at, t.id LIMIT @limit");
            if (kind is { } k)
            {
                Param(cmd, "@kind", (long)k);
            }

            Param(cmd, "@now", NowMs());
            Param(cmd, "@limit", (long)limit);
            return Observe(await ReadTasksAsync(cmd, ct).ConfigureAwait(false));
        }, ct);
    }

    public Task<TaskRecord> UpdateTaskAsync(TaskRecord next, long expectedVersion, Lease? fence = null, string? message = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(next);
        var n = Normalize(next);
        return WriteAsync(async (c, tx, ct) =>
        {
            var read = Command(c, tx, $"SELECT {TaskColumns} FROM tasks WHERE id = @id{LockRow}");
            Param(read, "@id", n.Id.Value);
            var current = (await ReadTasksAsync(read, ct).ConfigureAwait(false)) is [var cur] ? cur : throw new TaskNotFoundException($"task {n.Id} does not exist");
            if (current.Version != expectedVersion)
            {
                throw new ConcurrencyConflictException(n.Id, expectedVersion, current.Version);
            }

            if (fence is not null)
            {
                await CheckFenceAsync(c, tx, fence, n.Id, ct).ConfigureAwait(false);
            }

            var stored = n with { Version = current.Version + 1 };
            ThrowIfInvalid(stored, TaskConsistencyChecker.ValidateTransition(current, stored), current.Stage);
            var cmd = Command(c, tx,
                "UPDATE tasks SET stage = @stage, status = @status, progress = @progress, error_code = @ecode, error_message = @emsg, "
                + "updated_at = @updated, started_at = @started, finished_at = @finished, version = @version, input = @input, result = @result "
                + "WHERE id = @id AND version = @expected");
            BindTask(cmd, stored);
            Param(cmd, "@expected", expectedVersion);
            if (await ExecAsync(cmd, ct).ConfigureAwait(false) != 1)
            {
                throw new ConcurrencyConflictException(n.Id, expectedVersion, -1);
            }

            await InsertEventAsync(c, tx, stored, current.Stage, message, ct).ConfigureAwait(false);
            return stored;
        }, ct);
    }

    public Task<IReadOnlyList<TaskEvent>> GetTaskHistoryAsync(TaskId id, CancellationToken ct = default)
    {
        RequireId(id);
        return ReadAsync(async (c, ct) =>
        {
            var cmd = Command(c, null, $"SELECT {EventColumns} FROM task_events WHERE task_id = @id ORDER BY seq");
            Param(cmd, "@id", id.Value);
            return await ReadEventsAsync(cmd, ct).ConfigureAwait(false);
        }, ct);
    }

    public Task<IReadOnlyList<TaskEvent>> GetRecentEventsAsync(int limit, CancellationToken ct = default)
    {
        RequireLimit(limit);
        return ReadAsync(async (c, ct) =>
        {
            var cmd = Command(c, null, $"SELECT {EventColumns} FROM task_events ORDER BY seq DESC LIMIT @limit");
            Param(cmd, "@limit", (long)limit);
            return await ReadEventsAsync(cmd, ct).ConfigureAwait(false);
        }, ct);
    }

    /// <summary>Throws <see cref="LeaseLostException"/> unless <paramref name="fence"/> is the live lease of <paramref name="taskId"/> (locks the lease row).</summary>
    protected async Task CheckFenceAsync(DbConnection c, DbTransaction tx, Lease fence, TaskId taskId, CancellationToken ct)
    {
        if (fence.TaskId != taskId)
        {
            throw new LeaseLostException($"lease on {fence.TaskId} cannot fence a write to {taskId}");
        }

        var cmd = Command(c, tx, $"SELECT owner, epoch, expires_at FROM leases WHERE task_id = @id{LockRow}");
        Param(cmd, "@id", taskId.Value);
        await using (cmd.ConfigureAwait(false))
        {
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            if (!await r.ReadAsync(ct).ConfigureAwait(false))
            {
                throw new LeaseLostException($"{fence.Owner} no longer holds task {taskId}: there is no lease");
            }

            string owner = r.GetString(0);
            long epoch = r.GetInt64(1);
            long expires = r.GetInt64(2);
            long now = NowMs();
            if (owner != fence.Owner || epoch != fence.Epoch)
            {
                throw new LeaseLostException($"{fence.Owner} (epoch {fence.Epoch}) no longer holds task {taskId}: {owner} holds it at epoch {epoch}");
            }

            if (expires <= now)
            {
                throw new LeaseLostException($"{fence.Owner}'s lease on task {taskId} expired at {At(expires):O}");
            }
        }
    }

    private IReadOnlyList<TaskRecord> Observe(IReadOnlyList<TaskRecord> tasks)
    {
        for (int i = 0; i < tasks.Count; i++)
        {
            Checker.Observe(tasks[i]);
        }

        return tasks;
    }

    private static void ThrowIfInvalid(TaskRecord t, IReadOnlyList<TaskViolation> violations, TaskStage from)
    {
        if (violations.Count > 0)
        {
            throw new IllegalTransitionException(t.Id, from, t.Stage, violations[0].Invariant,
                $"refused to write task {t.Id}: {string.Join("; ", violations)}");
        }
    }

    private static void RequireId(TaskId id)
    {
        if (id.IsEmpty)
        {
            throw new ArgumentException("task id is uninitialised", nameof(id));
        }
    }

    private static TaskRecord Normalize(TaskRecord t)
    {
        RequireId(t.Id);
        return t with
        {
            CreatedAt = Trunc(t.CreatedAt),
            UpdatedAt = Trunc(t.UpdatedAt),
            StartedAt = Trunc(t.StartedAt),
            FinishedAt = Trunc(t.FinishedAt),
        };
    }

    private static void BindTask(DbCommand cmd, TaskRecord t)
    {
        Param(cmd, "@id", t.Id.Value);
        Param(cmd, "@tenant", t.TenantId);
        Param(cmd, "@kind", (long)t.Kind);
        Param(cmd, "@stage", (long)t.Stage);
        Param(cmd, "@status", (long)t.Status);
        Param(cmd, "@progress", (long)t.Progress);
        Param(cmd, "@ecode", t.Error?.Code);
        Param(cmd, "@emsg", t.Error?.Message);
        Param(cmd, "@created", Ms(t.CreatedAt));
        Param(cmd, "@updated", Ms(t.UpdatedAt));
        Param(cmd, "@started", Ms(t.StartedAt));
        Param(cmd, "@finished", Ms(t.FinishedAt));
        Param(cmd, "@version", t.Version);
        Param(cmd, "@input", t.Input);
        Param(cmd, "@result", t.Result);
    }

    private async Task InsertEventAsync(DbConnection c, DbTransaction tx, TaskRecord t, TaskStage? from, string? message, CancellationToken ct)
    {
        var cmd = Command(c, tx,
            "INSERT INTO task_events (task_id, at, from_stage, to_stage, status, progress, version, message) VALUES (@id, @at, @from, @to, @status, @progress, @version, @message)");
        Param(cmd, "@id", t.Id.Value);
        Param(cmd, "@at", Ms(t.UpdatedAt));
        Param(cmd, "@from", from is null ? null : (long)from.Value);
        Param(cmd, "@to", (long)t.Stage);
        Param(cmd, "@status", (long)t.Status);
        Param(cmd, "@progress", (long)t.Progress);
        Param(cmd, "@version", t.Version);
        Param(cmd, "@message", message is { Length: > 500 } ? message[..500] : message);
        await ExecAsync(cmd, ct).ConfigureAwait(false);
    }

    /// <summary>Reads task rows selected with <see cref="TaskColumns"/>; disposes the command.</summary>
    protected static async Task<IReadOnlyList<TaskRecord>> ReadTasksAsync(DbCommand cmd, CancellationToken ct)
    {
        var list = new List<TaskRecord>();
        await using (cmd.ConfigureAwait(false))
        {
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                string idText = r.GetString(0);
                if (!TaskId.TryParse(idText, out var id))
                {
                    throw new JobStoreException($"corrupt tasks row: id '{idText}' is not a task id");
                }

                string? code = StringOrNull(r, 6);
                list.Add(new TaskRecord(
                    id,
                    r.GetString(1),
                    (TaskKind)r.GetInt64(2),
                    (TaskStage)r.GetInt64(3),
                    (TaskStatus)r.GetInt64(4),
                    (int)r.GetInt64(5),
                    code is null ? null : new TaskError(code, StringOrNull(r, 7) ?? ""),
                    At(r.GetInt64(8)),
                    At(r.GetInt64(9)),
                    AtOrNull(r, 10),
                    AtOrNull(r, 11),
                    r.GetInt64(12),
                    StringOrNull(r, 13),
                    StringOrNull(r, 14)));
            }
        }

        return list;
    }

    private static async Task<IReadOnlyList<TaskEvent>> ReadEventsAsync(DbCommand cmd, CancellationToken ct)
    {
        var list = new List<TaskEvent>();
        await using (cmd.ConfigureAwait(false))
        {
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                list.Add(new TaskEvent(
                    r.GetInt64(0),
                    TaskId.Parse(r.GetString(1)),
                    At(r.GetInt64(2)),
                    r.IsDBNull(3) ? null : (TaskStage)r.GetInt64(3),
                    (TaskStage)r.GetInt64(4),
                    (TaskStatus)r.GetInt64(5),
                    (int)r.GetInt64(6),
                    r.GetInt64(7),
                    StringOrNull(r, 8)));
            }
        }

        return list;
    }
}
