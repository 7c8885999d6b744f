using System.Data.Common;

namespace CyLlm.Jobs.Storage;

/// <summary>Leases, checkpoints and batch line results.</summary>
public abstract partial class AdoJobStore
{
    public Task<Lease?> TryAcquireLeaseAsync(TaskId taskId, string owner, TimeSpan duration, CancellationToken ct = default)
    {
        RequireId(taskId);
        RequireOwner(owner);
        RequirePositive(duration, nameof(duration));
        return WriteAsync<Lease?>(async (c, tx, ct) =>
        {
            await RequireTaskAsync(c, tx, taskId, ct).ConfigureAwait(false);
            long now = NowMs();
            long expires = now + (long)duration.TotalMilliseconds;
            var read = Command(c, tx, $"SELECT owner, epoch, acquired_at, expires_at FROM leases WHERE task_id = @id{LockRow}");
            Param(read, "@id", taskId.Value);
            string? curOwner = null;
            long curEpoch = 0, curAcquired = 0, curExpires = 0;
            await using (read.ConfigureAwait(false))
            {
                await using var r = await read.ExecuteReaderAsync(ct).ConfigureAwait(false);
                if (await r.ReadAsync(ct).ConfigureAwait(false))
                {
                    curOwner = r.GetString(0);
                    curEpoch = r.GetInt64(1);
                    curAcquired = r.GetInt64(2);
                    curExpires = r.GetInt64(3);
                }
            }

            if (curOwner is null)
            {
                var ins = Command(c, tx,
                    "INSERT INTO leases (task_id, owner, epoch, acquired_at, heartbeat_at, expires_at) VALUES (@id, @owner, 1, @now, @now, @expires) ON CONFLICT (task_id) DO NOTHING");
                Param(ins, "@id", taskId.Value);
                Param(ins, "@owner", owner);
                Param(ins, "@now", now);
                Param(ins, "@expires", expires);

                // 0 rows: a concurrent first acquire won (PostgreSQL cannot lock a row that does not exist yet).
                return await ExecAsync(ins, ct).ConfigureAwait(false) == 1 ? new Lease(taskId, owner, 1, At(now), At(now), At(expires)) : null;
            }

            bool live = curExpires > now;
            if (live && curOwner != owner)
            {
                return null;
            }

            // Same owner with a live lease: extend, same epoch. Expired (anyone's): take over with a new epoch, which
            // fences off every write the previous holder might still attempt.
            long epoch = live ? curEpoch : curEpoch + 1;
            long acquired = live ? curAcquired : now;
            var upd = Command(c, tx,
                "UPDATE leases SET owner = @owner, epoch = @epoch, acquired_at = @acquired, heartbeat_at = @now, expires_at = @expires WHERE task_id = @id AND epoch = @old");
            Param(upd, "@owner", owner);
            Param(upd, "@epoch", epoch);
            Param(upd, "@acquired", acquired);
            Param(upd, "@now", now);
            Param(upd, "@expires", expires);
            Param(upd, "@id", taskId.Value);
            Param(upd, "@old", curEpoch);
            return await ExecAsync(upd, ct).ConfigureAwait(false) == 1 ? new Lease(taskId, owner, epoch, At(acquired), At(now), At(expires)) : null;
        }, ct);
    }

    public Task<Lease> HeartbeatAsync(Lease lease, TimeSpan duration, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        RequirePositive(duration, nameof(duration));
        return WriteAsync(async (c, tx, ct) =>
        {
            long now = NowMs();
            long expires = now + (long)duration.TotalMilliseconds;
            var cmd = Command(c, tx,
                "UPDATE leases SET heartbeat_at = @now, expires_at = @expires WHERE task_id = @id AND owner = @owner AND epoch = @epoch AND expires_at > @now");
            Param(cmd, "@now", now);
            Param(cmd, "@expires", expires);
            Param(cmd, "@id", lease.TaskId.Value);
            Param(cmd, "@owner", lease.Owner);
            Param(cmd, "@epoch", lease.Epoch);
            if (await ExecAsync(cmd, ct).ConfigureAwait(false) != 1)
            {
                throw new LeaseLostException($"{lease.Owner} (epoch {lease.Epoch}) lost its lease on task {lease.TaskId}: it expired or was taken over");
            }

            return lease with { HeartbeatAt = At(now), ExpiresAt = At(expires) };
        }, ct);
    }

    public Task<bool> ReleaseLeaseAsync(Lease lease, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(lease);

        // The row is kept (expired now) rather than deleted so the next holder gets epoch + 1: epochs never repeat for a task.
        return WriteAsync(async (c, tx, ct) =>
        {
            var cmd = Command(c, tx,
                "UPDATE leases SET expires_at = @now WHERE task_id = @id AND owner = @owner AND epoch = @epoch AND expires_at > @now");
            Param(cmd, "@now", NowMs());
            Param(cmd, "@id", lease.TaskId.Value);
            Param(cmd, "@owner", lease.Owner);
            Param(cmd, "@epoch", lease.Epoch);
            return await ExecAsync(cmd, ct).ConfigureAwait(false) == 1;
        }, ct);
    }

    public Task<Lease?> GetLeaseAsync(TaskId taskId, CancellationToken ct = default)
    {
        RequireId(taskId);
        return ReadAsync(async (c, ct) =>
        {
            var cmd = Command(c, null, "SELECT task_id, owner, epoch, acquired_at, heartbeat_at, expires_at FROM leases WHERE task_id = @id");
            Param(cmd, "@id", taskId.Value);
            return (await ReadLeasesAsync(cmd, ct).ConfigureAwait(false)) is [var l] ? l : null;
        }, ct);
    }

    public Task<bool> AddCheckpointAsync(CheckpointRecord checkpoint, Lease? fence = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        checkpoint.EnsureValid();
        var cp = checkpoint with { CreatedAt = Trunc(checkpoint.CreatedAt) };
        return WriteAsync(async (c, tx, ct) =>
        {
            await RequireTaskAsync(c, tx, cp.TaskId, ct).ConfigureAwait(false);
            if (fence is not null)
            {
                await CheckFenceAsync(c, tx, fence, cp.TaskId, ct).ConfigureAwait(false);
            }

            var ins = Command(c, tx,
                "INSERT INTO checkpoints (task_id, step, path, size_bytes, sha256, created_at, owner) VALUES (@id, @step, @path, @size, @sha, @created, @owner) ON CONFLICT (task_id, step) DO NOTHING");
            Param(ins, "@id", cp.TaskId.Value);
            Param(ins, "@step", cp.Step);
            Param(ins, "@path", cp.Path);
            Param(ins, "@size", cp.SizeBytes);
            Param(ins, "@sha", cp.Sha256);
            Param(ins, "@created", Ms(cp.CreatedAt));
            Param(ins, "@owner", cp.Owner);
            if (await ExecAsync(ins, ct).ConfigureAwait(false) == 1)
            {
                return true;
            }

            var read = Command(c, tx, "SELECT task_id, step, path, size_bytes, sha256, created_at, owner FROM checkpoints WHERE task_id = @id AND step = @step");
            Param(read, "@id", cp.TaskId.Value);
            Param(read, "@step", cp.Step);
            var existing = (await ReadCheckpointsAsync(read, ct).ConfigureAwait(false))[0];
            if (existing.Path != cp.Path || existing.SizeBytes != cp.SizeBytes || existing.Sha256 != cp.Sha256)
            {
                throw new CheckpointConflictException(
                    $"task {cp.TaskId} already has checkpoint step {cp.Step} ({existing.Path}, {existing.SizeBytes} bytes, {existing.Sha256[..12]}…); refusing different evidence ({cp.Path}, {cp.SizeBytes} bytes, {cp.Sha256[..12]}…)");
            }

            return false;
        }, ct);
    }

    public Task<CheckpointRecord?> GetLatestCheckpointAsync(TaskId taskId, CancellationToken ct = default)
    {
        RequireId(taskId);
        return ReadAsync(async (c, ct) =>
        {
            var cmd = Command(c, null, "SELECT task_id, step, path, size_bytes, sha256, created_at, owner FROM checkpoints WHERE task_id = @id ORDER BY step DESC LIMIT 1");
            Param(cmd, "@id", taskId.Value);
            return (await ReadCheckpointsAsync(cmd, ct).ConfigureAwait(false)) is [var cp] ? cp : null;
        }, ct);
    }

    public Task<IReadOnlyList<CheckpointRecord>> ListCheckpointsAsync(TaskId taskId, CancellationToken ct = default)
    {
        RequireId(taskId);
        return ReadAsync(async (c, ct) =>
        {
            var cmd = Command(c, null, "SELECT task_id, step, path, size_bytes, sha256, created_at, owner FROM checkpoints WHERE task_id = @id ORDER BY step");
            Param(cmd, "@id", taskId.Value);
            return await ReadCheckpointsAsync(cmd, ct).ConfigureAwait(false);
        }, ct);
    }

    public Task<bool> RecordBatchResultAsync(BatchLineResult result, Lease? fence = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(result);
        RequireId(result.BatchId);
        if (result.LineIndex < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(result), result.LineIndex, "line index must be ≥ 0");
        }

        return WriteAsync(async (c, tx, ct) =>
        {
            await RequireTaskAsync(c, tx, result.BatchId, ct).ConfigureAwait(false);
            if (fence is not null)
            {
                await CheckFenceAsync(c, tx, fence, result.BatchId, ct).ConfigureAwait(false);
            }

            var ins = Command(c, tx,
                "INSERT INTO batch_results (task_id, line_index, custom_id, status_code, response, error_code, error_message, completed_at) "
                + "VALUES (@id, @line, @custom, @status, @response, @ecode, @emsg, @at) ON CONFLICT (task_id, line_index) DO NOTHING");
            Param(ins, "@id", result.BatchId.Value);
            Param(ins, "@line", (long)result.LineIndex);
            Param(ins, "@custom", result.CustomId);
            Param(ins, "@status", (long)result.StatusCode);
            Param(ins, "@response", result.ResponseBody);
            Param(ins, "@ecode", result.ErrorCode);
            Param(ins, "@emsg", result.ErrorMessage);
            Param(ins, "@at", Ms(result.CompletedAt));
            return await ExecAsync(ins, ct).ConfigureAwait(false) == 1;
        }, ct);
    }

    public Task<IReadOnlyList<BatchLineResult>> ListBatchResultsAsync(TaskId batchId, CancellationToken ct = default)
    {
        RequireId(batchId);
        return ReadAsync<IReadOnlyList<BatchLineResult>>(async (c, ct) =>
        {
            var cmd = Command(c, null,
                "SELECT line_index, custom_id, status_code, response, error_code, error_message, completed_at FROM batch_results WHERE task_id = @id ORDER BY line_index");
            Param(cmd, "@id", batchId.Value);
            var list = new List<BatchLineResult>();
            await using (cmd.ConfigureAwait(false))
            {
                await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
                while (await r.ReadAsync(ct).ConfigureAwait(false))
                {
                    list.Add(new BatchLineResult(batchId, (int)r.GetInt64(0), r.GetString(1), (int)r.GetInt64(2), StringOrNull(r, 3),
                        StringOrNull(r, 4), StringOrNull(r, 5), At(r.GetInt64(6))));
                }
            }

            return list;
        }, ct);
    }

    private static async Task RequireTaskAsync(DbConnection c, DbTransaction tx, TaskId id, CancellationToken ct)
    {
        var cmd = Command(c, tx, "SELECT COUNT(*) FROM tasks WHERE id = @id");
        Param(cmd, "@id", id.Value);
        if (await ScalarLongAsync(cmd, ct).ConfigureAwait(false) == 0)
        {
            throw new TaskNotFoundException($"task {id} does not exist");
        }
    }

    protected static async Task<IReadOnlyList<Lease>> ReadLeasesAsync(DbCommand cmd, CancellationToken ct)
    {
        var list = new List<Lease>();
        await using (cmd.ConfigureAwait(false))
        {
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                list.Add(new Lease(TaskId.Parse(r.GetString(0)), r.GetString(1), r.GetInt64(2), At(r.GetInt64(3)), At(r.GetInt64(4)), At(r.GetInt64(5))));
            }
        }

        return list;
    }

    protected static async Task<IReadOnlyList<CheckpointRecord>> ReadCheckpointsAsync(DbCommand cmd, CancellationToken ct)
    {
        var list = new List<CheckpointRecord>();
        await using (cmd.ConfigureAwait(false))
        {
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                list.Add(new CheckpointRecord(TaskId.Parse(r.GetString(0)), r.GetInt64(1), r.GetString(2), r.GetInt64(3), r.GetString(4), At(r.GetInt64(5)), StringOrNull(r, 6)));
            }
        }

        return list;
    }

    private static void RequireOwner(string owner)
    {
        if (string.IsNullOrWhiteSpace(owner) || owner.Length > 200)
        {
            throw new ArgumentException("lease owner must be 1..200 characters", nameof(owner));
        }
    }

    private static void RequirePositive(TimeSpan t, string name)
    {
        if (t <= TimeSpan.Zero || t > TimeSpan.FromDays(30))
        {
            throw new ArgumentOutOfRangeException(name, t, "must be positive and at most 30 days");
        }
    }
}
