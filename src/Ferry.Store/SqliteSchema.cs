using Microsoft.Data.Sqlite;

namespace Ferry.Store;

/// <summary>
/// The SQLite schema as an ordered list of migrations. <c>PRAGMA user_version</c> records how many have been
/// applied; pending ones run in one transaction. Append new steps, never edit shipped ones.
/// </summary>
internal static class SqliteSchema
{
    /// <summary>Migration <c>n</c> (0-based) brings the schema from version <c>n</c> to <c>n + 1</c>.</summary>
    public static IReadOnlyList<string> Migrations { get; } =
    [
        """
        CREATE TABLE app_stages (
            id                 INTEGER PRIMARY KEY,
            tenant             TEXT    NOT NULL,
            service            TEXT    NOT NULL,
            stage              TEXT    NOT NULL,
            region             TEXT    NOT NULL,
            active_revision_id INTEGER NULL REFERENCES revisions (id) ON DELETE SET NULL,
            created_at         INTEGER NOT NULL, -- unix milliseconds, UTC
            updated_at         INTEGER NOT NULL,
            UNIQUE (tenant, service, stage, region)
        );

        CREATE TABLE revisions (
            id              INTEGER PRIMARY KEY,
            app_stage_id    INTEGER NOT NULL REFERENCES app_stages (id) ON DELETE CASCADE,
            number          INTEGER NOT NULL,
            artifact_sha256 TEXT    NOT NULL,
            manifest_json   TEXT    NOT NULL,
            created_at      INTEGER NOT NULL,
            UNIQUE (app_stage_id, number)
        );
        CREATE INDEX ix_revisions_artifact ON revisions (artifact_sha256);

        -- AUTOINCREMENT: ids are never reused, so clients can page with "after id" across deletions.
        CREATE TABLE logs (
            id           INTEGER PRIMARY KEY AUTOINCREMENT,
            app_stage_id INTEGER NOT NULL REFERENCES app_stages (id) ON DELETE CASCADE,
            revision_id  INTEGER NOT NULL,
            function     TEXT    NOT NULL,
            request_id   TEXT    NULL,
            instance_id  TEXT    NOT NULL,
            logged_at    INTEGER NOT NULL,
            stream       TEXT    NOT NULL,
            message      TEXT    NOT NULL
        );
        CREATE INDEX ix_logs_app_stage ON logs (app_stage_id, id);
        CREATE INDEX ix_logs_function ON logs (app_stage_id, function, id);

        CREATE TABLE invocations (
            id                 INTEGER PRIMARY KEY,
            request_id         TEXT    NOT NULL,
            tenant             TEXT    NOT NULL,
            app_stage_id       INTEGER NOT NULL REFERENCES app_stages (id) ON DELETE CASCADE,
            revision_id        INTEGER NOT NULL,
            function           TEXT    NOT NULL,
            started_at         INTEGER NOT NULL,
            duration_ms        REAL    NOT NULL,
            billed_duration_ms INTEGER NOT NULL,
            memory_size_mb     INTEGER NOT NULL,
            max_memory_used_mb INTEGER NULL,
            status             TEXT    NOT NULL,
            cold_start         INTEGER NOT NULL,
            error              TEXT    NULL
        );
        CREATE INDEX ix_invocations_app_stage_start ON invocations (app_stage_id, started_at);
        """,
        """
        CREATE TABLE tenants (
            name       TEXT    PRIMARY KEY,
            created_at INTEGER NOT NULL
        );

        -- Only a SHA-256 of each token's secret is stored; the secret is shown once, when the token is created.
        CREATE TABLE api_tokens (
            id          INTEGER PRIMARY KEY,
            tenant      TEXT    NOT NULL REFERENCES tenants (name),
            name        TEXT    NOT NULL,
            roles       TEXT    NOT NULL, -- comma-separated Role names
            secret_hash TEXT    NOT NULL UNIQUE,
            prefix      TEXT    NOT NULL,
            created_at  INTEGER NOT NULL,
            revoked_at  INTEGER NULL
        );
        CREATE INDEX ix_api_tokens_tenant ON api_tokens (tenant);
        """,
        """
        -- Metering: usage of a tenant over a period.
        CREATE INDEX ix_invocations_tenant_start ON invocations (tenant, started_at);
        """,
        """
        -- Template center (hub side): names owned by a provider tenant, immutable signed versions, reviews, keys.
        CREATE TABLE templates (
            id              INTEGER PRIMARY KEY,
            name            TEXT    NOT NULL UNIQUE,
            provider_tenant TEXT    NOT NULL,
            created_at      INTEGER NOT NULL
        );

        CREATE TABLE template_versions (
            id              INTEGER PRIMARY KEY,
            template_id     INTEGER NOT NULL REFERENCES templates (id),
            version         TEXT    NOT NULL,
            digest          TEXT    NOT NULL,
            package_sha256  TEXT    NOT NULL,
            key_id          TEXT    NOT NULL,
            status          TEXT    NOT NULL,
            definition_json TEXT    NOT NULL,
            changelog       TEXT    NULL,
            submitted_by    TEXT    NOT NULL,
            submitted_at    INTEGER NOT NULL,
            reviewed_by     TEXT    NULL,
            review_comment  TEXT    NULL,
            reviewed_at     INTEGER NULL,
            UNIQUE (template_id, version)
        );
        CREATE INDEX ix_template_versions_status ON template_versions (status);

        CREATE TABLE signing_keys (
            key_id     TEXT    PRIMARY KEY,
            tenant     TEXT    NOT NULL,
            public_key TEXT    NOT NULL,
            created_at INTEGER NOT NULL
        );

        -- Consumer side: which app stages came from which template version, with their parameter values.
        CREATE TABLE installs (
            id              INTEGER PRIMARY KEY,
            tenant          TEXT    NOT NULL,
            app_stage_id    INTEGER NOT NULL UNIQUE REFERENCES app_stages (id) ON DELETE CASCADE,
            hub             TEXT    NOT NULL,
            template        TEXT    NOT NULL,
            version         TEXT    NOT NULL,
            parameters_json TEXT    NOT NULL,
            created_at      INTEGER NOT NULL,
            updated_at      INTEGER NOT NULL
        );

        -- Which template version (and parameter values) each revision of an installed app was deployed from: rollbacks
        -- return to a revision and its version together.
        CREATE TABLE install_revisions (
            revision_id     INTEGER PRIMARY KEY REFERENCES revisions (id) ON DELETE CASCADE,
            version         TEXT    NOT NULL,
            parameters_json TEXT    NOT NULL
        );

        -- Consumer side: other Ferry servers whose template centers this tenant installs from ("local" is implicit).
        CREATE TABLE hubs (
            tenant     TEXT    NOT NULL,
            name       TEXT    NOT NULL,
            url        TEXT    NOT NULL,
            token      TEXT    NOT NULL,
            created_at INTEGER NOT NULL,
            PRIMARY KEY (tenant, name)
        );
        """,
        """
        -- AWS-style access keys for SigV4-signed requests; each acts as the API token it was created from.
        CREATE TABLE access_keys (
            access_key_id TEXT    PRIMARY KEY,
            secret        TEXT    NOT NULL,
            token_id      INTEGER NOT NULL REFERENCES api_tokens (id),
            created_at    INTEGER NOT NULL
        );
        """,
        """
        -- What metering needs of the invocations of removed app stages, copied when an app stage is deleted (its
        -- invocations go with it): a tenant's usage of a period must not shrink when it removes an app.
        CREATE TABLE removed_app_usage (
            id                 INTEGER PRIMARY KEY,
            tenant             TEXT    NOT NULL,
            app_stage_id       INTEGER NOT NULL,
            service            TEXT    NOT NULL,
            stage              TEXT    NOT NULL,
            region             TEXT    NOT NULL,
            function           TEXT    NOT NULL,
            started_at         INTEGER NOT NULL,
            billed_duration_ms INTEGER NOT NULL,
            memory_size_mb     INTEGER NOT NULL
        );
        CREATE INDEX ix_removed_app_usage_tenant_start ON removed_app_usage (tenant, started_at);
        """,
        """
        -- Quotas an admin set for a tenant; NULL: the server's default.
        CREATE TABLE tenant_quotas (
            tenant                 TEXT    PRIMARY KEY,
            max_instances          INTEGER NULL,
            max_memory_mb          INTEGER NULL,
            max_storage_mb         INTEGER NULL,
            max_log_mb_per_day     INTEGER NULL,
            allow_outbound_network INTEGER NULL,
            updated_at             INTEGER NOT NULL
        );

        -- Retention: invocation records (and removed apps' usage rows) past --log-retention are summed per tenant, app
        -- stage, function and UTC hour before they are deleted, so usage totals never change.
        CREATE TABLE usage_rollups (
            id                 INTEGER PRIMARY KEY,
            tenant             TEXT    NOT NULL,
            app_stage_id       INTEGER NOT NULL,
            service            TEXT    NOT NULL,
            stage              TEXT    NOT NULL,
            region             TEXT    NOT NULL,
            function           TEXT    NOT NULL,
            hour_start         INTEGER NOT NULL, -- unix milliseconds, UTC, a whole hour
            invocations        INTEGER NOT NULL,
            billed_duration_ms INTEGER NOT NULL,
            memory_mb_ms       INTEGER NOT NULL,
            UNIQUE (tenant, app_stage_id, service, stage, region, function, hour_start)
        );
        CREATE INDEX ix_usage_rollups_tenant_hour ON usage_rollups (tenant, hour_start);
        CREATE INDEX ix_invocations_start ON invocations (started_at);
        CREATE INDEX ix_removed_app_usage_start ON removed_app_usage (started_at);
        CREATE INDEX ix_logs_logged_at ON logs (logged_at);
        """,
        """
        -- Hubs an admin added may be on loopback/private addresses; hubs consumers add may not (no probing of the
        -- server's own network through `ferry hub add`).
        ALTER TABLE hubs ADD COLUMN private_allowed INTEGER NOT NULL DEFAULT 0;
        """,
        """
        -- API keys of app stages for private routes (x-api-key); only a SHA-256 of each key is stored.
        CREATE TABLE api_keys (
            id           INTEGER PRIMARY KEY,
            app_stage_id INTEGER NOT NULL REFERENCES app_stages (id) ON DELETE CASCADE,
            name         TEXT    NOT NULL,
            key_hash     TEXT    NOT NULL,
            prefix       TEXT    NOT NULL,
            created_at   INTEGER NOT NULL,
            UNIQUE (app_stage_id, name),
            UNIQUE (app_stage_id, key_hash)
        );
        """,
        """
        -- Custom domains: requests whose Host is `host` (and whose path starts with `base_path`) go to the app stage at
        -- its own paths. A host belongs to one tenant (checked in the binding transaction, wildcards included).
        CREATE TABLE custom_domains (
            host          TEXT    NOT NULL,
            base_path     TEXT    NOT NULL,
            tenant        TEXT    NOT NULL,
            app_stage_id  INTEGER NOT NULL REFERENCES app_stages (id) ON DELETE CASCADE,
            from_manifest INTEGER NOT NULL,
            created_at    INTEGER NOT NULL,
            PRIMARY KEY (host, base_path)
        );
        CREATE INDEX ix_custom_domains_app_stage ON custom_domains (app_stage_id);
        """,
        """
        -- A row may hold several lines of one request (Ferry's START/END/REPORT of an invocation, stored together):
        -- `message` holds them joined by newlines, and the row's id is its last line's; ids below it are its other
        -- lines', so every line keeps an id of its own.
        ALTER TABLE logs ADD COLUMN line_count INTEGER NOT NULL DEFAULT 1;
        """,
        """
        -- No query of SQLite's uses it: usage by tenant filters `(@tenant IS NULL OR tenant = @tenant)`, which SQLite
        -- plans once for any value, through ix_invocations_start. Every invocation paid for keeping it (PostgreSQL,
        -- which plans with the value, keeps its copy).
        DROP INDEX IF EXISTS ix_invocations_tenant_start;
        """,
    ];

    /// <summary>Switches the database to WAL and applies pending migrations; returns the resulting schema version.</summary>
    public static async Task<int> MigrateAsync(SqliteConnection connection, string databasePath, CancellationToken cancellationToken)
    {
        string? journalMode;
        await using (var wal = connection.Command("PRAGMA journal_mode = WAL;"))
        {
            journalMode = (string?)await wal.ExecuteScalarAsync(cancellationToken);
        }

        if (!string.Equals(journalMode, "wal", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException(
                $"The database '{databasePath}' could not be switched to WAL journal mode (it reports '{journalMode}').");
        }

        await using var transaction = connection.BeginTransaction(deferred: false);
        int version;
        await using (var read = connection.Command("PRAGMA user_version;", transaction))
        {
            version = Convert.ToInt32(await read.ExecuteScalarAsync(cancellationToken));
        }

        if (version > Migrations.Count)
        {
            throw new InvalidOperationException(
                $"The database '{databasePath}' has schema version {version}, but this Ferry only knows versions up to " +
                $"{Migrations.Count}. It was written by a newer Ferry; upgrade Ferry to open it.");
        }

        for (var step = version; step < Migrations.Count; step++)
        {
            await using var migrate = connection.Command(Migrations[step], transaction);
            await migrate.ExecuteNonQueryAsync(cancellationToken);
        }

        // PRAGMA arguments cannot be parameters; the value is an integer we computed.
        await using (var write = connection.Command($"PRAGMA user_version = {Migrations.Count};", transaction))
        {
            await write.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return Migrations.Count;
    }
}
