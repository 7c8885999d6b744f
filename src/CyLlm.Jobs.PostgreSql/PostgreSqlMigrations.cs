using CyLlm.Jobs.Storage;

namespace CyLlm.Jobs.PostgreSql;

/// <summary>
/// PostgreSQL DDL, table for table the same schema as SQLite's: BIGINT Unix-millisecond times, ids in the "C" collation
/// (byte order, so id pagination matches SQLite's), the same CHECK constraints. Never edit a shipped migration.
/// </summary>
internal static class PostgreSqlMigrations
{
    public static readonly IReadOnlyList<Migration> All =
    [
        new Migration(1, "initial schema",
        [
            "CREATE TABLE tenants (id TEXT COLLATE \"C\" PRIMARY KEY, name TEXT NOT NULL, created_at BIGINT NOT NULL, disabled BIGINT NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)))",
            "CREATE TABLE api_keys (id TEXT COLLATE \"C\" PRIMARY KEY, tenant_id TEXT COLLATE \"C\" NOT NULL REFERENCES tenants(id) ON DELETE CASCADE, key_hash TEXT NOT NULL UNIQUE, "
                + "prefix TEXT NOT NULL, scopes TEXT NOT NULL, allowed_models TEXT NOT NULL, created_at BIGINT NOT NULL, expires_at BIGINT, revoked_at BIGINT, grace_until BIGINT, replaced_by TEXT)",
            "CREATE INDEX ix_api_keys_tenant ON api_keys (tenant_id, created_at)",
            "CREATE TABLE tasks (id TEXT COLLATE \"C\" PRIMARY KEY, tenant_id TEXT COLLATE \"C\" NOT NULL, kind BIGINT NOT NULL, stage BIGINT NOT NULL, "
                + "status BIGINT NOT NULL CHECK (status BETWEEN 0 AND 4), progress BIGINT NOT NULL CHECK (progress BETWEEN 0 AND 100), "
                + "error_code TEXT, error_message TEXT, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, started_at BIGINT, finished_at BIGINT, "
                + "version BIGINT NOT NULL CHECK (version >= 1), input TEXT, result TEXT, "
                + "CHECK (status <> 2 OR progress = 100), CHECK ((status = 3) = (error_code IS NOT NULL)), "
                + "CHECK ((status IN (2, 3, 4)) = (finished_at IS NOT NULL)), CHECK (updated_at >= created_at))",
            "CREATE INDEX ix_tasks_tenant_created ON tasks (tenant_id, created_at, id)",
            "CREATE INDEX ix_tasks_status ON tasks (status, kind, created_at)",
            "CREATE TABLE task_events (seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, task_id TEXT COLLATE \"C\" NOT NULL REFERENCES tasks(id) ON DELETE CASCADE, "
                + "at BIGINT NOT NULL, from_stage BIGINT, to_stage BIGINT NOT NULL, status BIGINT NOT NULL, progress BIGINT NOT NULL, version BIGINT NOT NULL, message TEXT, "
                + "UNIQUE (task_id, version))",
            "CREATE INDEX ix_task_events_task ON task_events (task_id, seq)",
            "CREATE TABLE checkpoints (task_id TEXT COLLATE \"C\" NOT NULL REFERENCES tasks(id) ON DELETE CASCADE, step BIGINT NOT NULL CHECK (step >= 0), path TEXT NOT NULL, "
                + "size_bytes BIGINT NOT NULL CHECK (size_bytes >= 0), sha256 TEXT NOT NULL CHECK (length(sha256) = 64), created_at BIGINT NOT NULL, owner TEXT, "
                + "PRIMARY KEY (task_id, step))",
            "CREATE TABLE leases (task_id TEXT COLLATE \"C\" PRIMARY KEY REFERENCES tasks(id) ON DELETE CASCADE, owner TEXT NOT NULL, epoch BIGINT NOT NULL CHECK (epoch >= 1), "
                + "acquired_at BIGINT NOT NULL, heartbeat_at BIGINT NOT NULL, expires_at BIGINT NOT NULL)",
            "CREATE TABLE idempotency_keys (tenant_id TEXT COLLATE \"C\" NOT NULL, idem_key TEXT COLLATE \"C\" NOT NULL, request_hash TEXT NOT NULL, "
                + "state BIGINT NOT NULL CHECK (state IN (0, 1)), status_code BIGINT, response TEXT, created_at BIGINT NOT NULL, locked_at BIGINT NOT NULL, "
                + "completed_at BIGINT, expires_at BIGINT NOT NULL, PRIMARY KEY (tenant_id, idem_key), CHECK ((state = 1) = (response IS NOT NULL)))",
            "CREATE INDEX ix_idempotency_expires ON idempotency_keys (expires_at)",
            "CREATE TABLE audit (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at BIGINT NOT NULL, trace_id TEXT, key_prefix TEXT, tenant_id TEXT COLLATE \"C\", "
                + "endpoint TEXT NOT NULL, method TEXT NOT NULL, status BIGINT NOT NULL, duration_ms DOUBLE PRECISION NOT NULL, prompt_tokens BIGINT NOT NULL, completion_tokens BIGINT NOT NULL)",
            "CREATE INDEX ix_audit_tenant_at ON audit (tenant_id, at)",
            "CREATE TABLE files (id TEXT COLLATE \"C\" PRIMARY KEY, tenant_id TEXT COLLATE \"C\" NOT NULL, purpose TEXT NOT NULL, filename TEXT NOT NULL, "
                + "bytes BIGINT NOT NULL CHECK (bytes >= 0), sha256 TEXT NOT NULL CHECK (length(sha256) = 64), path TEXT NOT NULL, created_at BIGINT NOT NULL)",
            "CREATE INDEX ix_files_tenant ON files (tenant_id, created_at)",
            "CREATE TABLE response_cache (cache_key TEXT COLLATE \"C\" PRIMARY KEY, value BYTEA NOT NULL, size_bytes BIGINT NOT NULL CHECK (size_bytes >= 0), "
                + "created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL)",
            "CREATE INDEX ix_response_cache_created ON response_cache (created_at)",
            "CREATE INDEX ix_response_cache_expires ON response_cache (expires_at)",
            "CREATE TABLE batch_results (task_id TEXT COLLATE \"C\" NOT NULL REFERENCES tasks(id) ON DELETE CASCADE, line_index BIGINT NOT NULL CHECK (line_index >= 0), "
                + "custom_id TEXT NOT NULL, status_code BIGINT NOT NULL, response TEXT, error_code TEXT, error_message TEXT, completed_at BIGINT NOT NULL, "
                + "PRIMARY KEY (task_id, line_index))",
        ]),

        // Version 2: optional operator display name per API key; existing keys read back with a null name.
        new Migration(2, "api key names",
        [
            "ALTER TABLE api_keys ADD COLUMN name TEXT",
        ]),

        // Version 3: file contents in the store, shared by every replica (--file-storage store). A blob row names the
        // generation whose chunks (chunk_bytes each, the last one shorter) make it up; chunks of a write are inserted
        // first and the blob row last, so nothing is readable until the write completes.
        new Migration(3, "blobs",
        [
            "CREATE TABLE blobs (id TEXT COLLATE \"C\" PRIMARY KEY, generation TEXT COLLATE \"C\" NOT NULL, size_bytes BIGINT NOT NULL CHECK (size_bytes >= 0), "
                + "sha256 TEXT NOT NULL CHECK (length(sha256) = 64), chunk_count BIGINT NOT NULL CHECK (chunk_count >= 0), created_at BIGINT NOT NULL)",
            "CREATE TABLE blob_chunks (blob_id TEXT COLLATE \"C\" NOT NULL, generation TEXT COLLATE \"C\" NOT NULL, idx BIGINT NOT NULL CHECK (idx >= 0), "
                + "data BYTEA NOT NULL, created_at BIGINT NOT NULL, PRIMARY KEY (blob_id, generation, idx))",
        ]),
    ];
}
