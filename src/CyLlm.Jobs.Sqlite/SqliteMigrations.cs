using CyLlm.Jobs.Storage;

namespace CyLlm.Jobs.Sqlite;

/// <summary>
/// SQLite DDL. Tables are STRICT (column types enforced); times are INTEGER Unix milliseconds; CHECK constraints repeat
/// the task invariants that can be stated per row, so even a hand-written UPDATE cannot store "completed at 40%".
/// Never edit a shipped migration: append a new one and bump <see cref="JobStoreSchema.CurrentVersion"/>.
/// </summary>
internal static class SqliteMigrations
{
    public static readonly IReadOnlyList<Migration> All =
    [
        new Migration(1, "initial schema",
        [
            "CREATE TABLE tenants (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at INTEGER NOT NULL, disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1))) STRICT",
            "CREATE TABLE api_keys (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE, key_hash TEXT NOT NULL UNIQUE, prefix TEXT NOT NULL, "
                + "scopes TEXT NOT NULL, allowed_models TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER, revoked_at INTEGER, grace_until INTEGER, replaced_by TEXT) STRICT",
            "CREATE INDEX ix_api_keys_tenant ON api_keys (tenant_id, created_at)",
            "CREATE TABLE tasks (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, kind INTEGER NOT NULL, stage INTEGER NOT NULL, "
                + "status INTEGER NOT NULL CHECK (status BETWEEN 0 AND 4), progress INTEGER NOT NULL CHECK (progress BETWEEN 0 AND 100), "
                + "error_code TEXT, error_message TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, started_at INTEGER, finished_at INTEGER, "
                + "version INTEGER NOT NULL CHECK (version >= 1), input TEXT, result TEXT, "
                + "CHECK (status <> 2 OR progress = 100), CHECK ((status = 3) = (error_code IS NOT NULL)), "
                + "CHECK ((status IN (2, 3, 4)) = (finished_at IS NOT NULL)), CHECK (updated_at >= created_at)) STRICT",
            "CREATE INDEX ix_tasks_tenant_created ON tasks (tenant_id, created_at, id)",
            "CREATE INDEX ix_tasks_status ON tasks (status, kind, created_at)",
            "CREATE TABLE task_events (seq INTEGER PRIMARY KEY AUTOINCREMENT, task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE, at INTEGER NOT NULL, "
                + "from_stage INTEGER, to_stage INTEGER NOT NULL, status INTEGER NOT NULL, progress INTEGER NOT NULL, version INTEGER NOT NULL, message TEXT, "
                + "UNIQUE (task_id, version)) STRICT",
            "CREATE INDEX ix_task_events_task ON task_events (task_id, seq)",
            "CREATE TABLE checkpoints (task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE, step INTEGER NOT NULL CHECK (step >= 0), path TEXT NOT NULL, "
                + "size_bytes INTEGER NOT NULL CHECK (size_bytes >= 0), sha256 TEXT NOT NULL CHECK (length(sha256) = 64), created_at INTEGER NOT NULL, owner TEXT, "
                + "PRIMARY KEY (task_id, step)) STRICT",
            "CREATE TABLE leases (task_id TEXT PRIMARY KEY REFERENCES tasks(id) ON DELETE CASCADE, owner TEXT NOT NULL, epoch INTEGER NOT NULL CHECK (epoch >= 1), "
                + "acquired_at INTEGER NOT NULL, heartbeat_at INTEGER NOT NULL, expires_at INTEGER NOT NULL) STRICT",
            "CREATE TABLE idempotency_keys (tenant_id TEXT NOT NULL, idem_key TEXT NOT NULL, request_hash TEXT NOT NULL, state INTEGER NOT NULL CHECK (state IN (0, 1)), "
                + "status_code INTEGER, response TEXT, created_at INTEGER NOT NULL, locked_at INTEGER NOT NULL, completed_at INTEGER, expires_at INTEGER NOT NULL, "
                + "PRIMARY KEY (tenant_id, idem_key), CHECK ((state = 1) = (response IS NOT NULL))) STRICT",
            "CREATE INDEX ix_idempotency_expires ON idempotency_keys (expires_at)",
            "CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, trace_id TEXT, key_prefix TEXT, tenant_id TEXT, endpoint TEXT NOT NULL, "
                + "method TEXT NOT NULL, status INTEGER NOT NULL, duration_ms REAL NOT NULL, prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL) STRICT",
            "CREATE INDEX ix_audit_tenant_at ON audit (tenant_id, at)",
            "CREATE TABLE files (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, purpose TEXT NOT NULL, filename TEXT NOT NULL, bytes INTEGER NOT NULL CHECK (bytes >= 0), "
                + "sha256 TEXT NOT NULL CHECK (length(sha256) = 64), path TEXT NOT NULL, created_at INTEGER NOT NULL) STRICT",
            "CREATE INDEX ix_files_tenant ON files (tenant_id, created_at)",
            "CREATE TABLE response_cache (cache_key TEXT PRIMARY KEY, value BLOB NOT NULL, size_bytes INTEGER NOT NULL CHECK (size_bytes >= 0), "
                + "created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL) STRICT",
            "CREATE INDEX ix_response_cache_created ON response_cache (created_at)",
            "CREATE INDEX ix_response_cache_expires ON response_cache (expires_at)",
            "CREATE TABLE batch_results (task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE, line_index INTEGER NOT NULL CHECK (line_index >= 0), "
                + "custom_id TEXT NOT NULL, status_code INTEGER NOT NULL, response TEXT, error_code TEXT, error_message TEXT, completed_at INTEGER NOT NULL, "
                + "PRIMARY KEY (task_id, line_index)) STRICT",
        ]),

        // Version 2: optional operator display name per API key; existing keys read back with a null name.
        new Migration(2, "api key names",
        [
            "ALTER TABLE api_keys ADD COLUMN name TEXT",
        ]),

        // Version 3: file contents in the store (--file-storage store), the same tables as PostgreSQL's: chunks of a
        // write are inserted first, each in its own short transaction (a long one would hold SQLite's single write lock
        // for the whole upload), and the blob row last, so nothing is readable until the write completes.
        new Migration(3, "blobs",
        [
            "CREATE TABLE blobs (id TEXT PRIMARY KEY, generation TEXT NOT NULL, size_bytes INTEGER NOT NULL CHECK (size_bytes >= 0), "
                + "sha256 TEXT NOT NULL CHECK (length(sha256) = 64), chunk_count INTEGER NOT NULL CHECK (chunk_count >= 0), created_at INTEGER NOT NULL) STRICT",
            "CREATE TABLE blob_chunks (blob_id TEXT NOT NULL, generation TEXT NOT NULL, idx INTEGER NOT NULL CHECK (idx >= 0), "
                + "data BLOB NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (blob_id, generation, idx)) STRICT",
        ]),
    ];
}
