using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace Ferry.Resources.Tables;

/// <summary>
/// The tables of every app stage, one SQLite database per app stage under <c>&lt;data&gt;/tables/TENANT/</c>. Items are
/// stored as JSON with their key values extracted into byte columns whose byte order is DynamoDB's order (so SQL's
/// ORDER BY is a Query's order); secondary index entries are maintained in the same transaction as the item write.
/// Work on one app stage's tables is serialised (one writer at a time, as SQLite allows).
/// </summary>
public sealed class TableStore(string root)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> gates = new(StringComparer.Ordinal);

    public string Root { get; } = Path.GetFullPath(root);

    /// <summary>Runs <paramref name="work"/> in one transaction on the scope's database (created on first use); it commits when the work returns.</summary>
    internal async Task<T> RunAsync<T>(TableScope scope, Func<TableSession, Task<T>> work, CancellationToken cancellationToken)
    {
        var path = scope.DatabasePath(Root);
        var gate = gates.GetOrAdd(path, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = true }.ToString());
            await connection.OpenAsync(cancellationToken);
            await TableSchema.EnsureAsync(connection, cancellationToken);
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
            var result = await work(new TableSession(connection, transaction));
            await transaction.CommitAsync(cancellationToken);
            return result;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Creates (or updates) a table an app declares (<c>AWS::DynamoDB::Table</c>).</summary>
    /// <exception cref="DynamoDbException">The definition is invalid, or changes the key schema of an existing table.</exception>
    public Task EnsureTableAsync(TableScope scope, Ferry.Manifest.TableDeclaration declaration, CancellationToken cancellationToken)
    {
        static JsonArray Key(Ferry.Manifest.TableKey key)
        {
            var schema = new JsonArray { new JsonObject { ["AttributeName"] = key.PartitionKey, ["KeyType"] = "HASH" } };
            if (key.SortKey is not null)
            {
                schema.Add(new JsonObject { ["AttributeName"] = key.SortKey, ["KeyType"] = "RANGE" });
            }

            return schema;
        }

        static JsonArray Indexes(IReadOnlyList<Ferry.Manifest.TableIndexDeclaration> indexes) => new([.. indexes.Select(i => (JsonNode)new JsonObject
        {
            ["IndexName"] = i.Name,
            ["KeySchema"] = Key(i.Key),
            ["Projection"] = i.NonKeyAttributes.Count == 0
                ? new JsonObject { ["ProjectionType"] = i.Projection }
                : new JsonObject { ["ProjectionType"] = i.Projection, ["NonKeyAttributes"] = new JsonArray([.. i.NonKeyAttributes.Select(a => (JsonNode)a)]) },
        })]);

        var request = new JsonObject
        {
            ["TableName"] = declaration.Name,
            ["AttributeDefinitions"] = new JsonArray([.. declaration.AttributeTypes.Select(a => (JsonNode)new JsonObject { ["AttributeName"] = a.Key, ["AttributeType"] = a.Value })]),
            ["KeySchema"] = Key(declaration.Key),
        };
        if (declaration.GlobalIndexes.Count > 0)
        {
            request["GlobalSecondaryIndexes"] = Indexes(declaration.GlobalIndexes);
        }

        if (declaration.LocalIndexes.Count > 0)
        {
            request["LocalSecondaryIndexes"] = Indexes(declaration.LocalIndexes);
        }

        return EnsureTableAsync(scope, request, cancellationToken);
    }

    /// <summary>Creates the table, or brings an existing one's indexes to <paramref name="createRequest"/> (deploys are idempotent).</summary>
    /// <exception cref="DynamoDbException">The definition is invalid, or changes the key schema of an existing table.</exception>
    public Task EnsureTableAsync(TableScope scope, JsonObject createRequest, CancellationToken cancellationToken)
    {
        var definition = TableDefinition.FromRequest(createRequest);
        return RunAsync(scope, async session =>
        {
            if (await session.FindTableAsync(definition.Name, cancellationToken) is not { } existing)
            {
                await session.CreateTableAsync(definition, DateTimeOffset.UtcNow, cancellationToken);
            }
            else if (existing.Definition.ToRequest().ToJsonString() != definition.ToRequest().ToJsonString())
            {
                if (existing.Definition.Key != definition.Key || existing.Definition.Key.Attributes.Any(a => existing.Definition.TypeOf(a) != definition.TypeOf(a)))
                {
                    throw DynamoDbException.Validation(
                        $"Table {definition.Name} exists with the key {string.Join(", ", existing.Definition.Key.Attributes)}; a table's key schema can't change (remove the app with --delete-data, or name the table differently)");
                }

                await session.ReplaceDefinitionAsync(existing, definition, cancellationToken);
            }

            return true;
        }, cancellationToken);
    }

    /// <summary>Deletes the scope's database with every table in it; false when there was none.</summary>
    public async Task<bool> DeleteScopeAsync(TableScope scope, CancellationToken cancellationToken)
    {
        var path = scope.DatabasePath(Root);
        var gate = gates.GetOrAdd(path, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (!File.Exists(path))
            {
                return false;
            }

            SqliteConnection.ClearAllPools();
            foreach (var file in new[] { path, path + "-wal", path + "-shm" })
            {
                File.Delete(file);
            }

            return true;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>The names of the scope's tables (for `ferry info` and tests).</summary>
    public Task<IReadOnlyList<string>> ListTablesAsync(TableScope scope, CancellationToken cancellationToken) =>
        RunAsync(scope, session => session.ListTableNamesAsync(null, int.MaxValue, cancellationToken), cancellationToken);
}

internal static class TableSchema
{
    private const string Schema = """
        PRAGMA journal_mode = WAL;
        PRAGMA synchronous = NORMAL;
        CREATE TABLE IF NOT EXISTS tables (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            definition TEXT NOT NULL,
            created_ms INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS items (
            table_id INTEGER NOT NULL,
            pk BLOB NOT NULL,
            sk BLOB NOT NULL,
            body TEXT NOT NULL,
            size INTEGER NOT NULL,
            PRIMARY KEY (table_id, pk, sk)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS index_entries (
            table_id INTEGER NOT NULL,
            index_name TEXT NOT NULL,
            pk BLOB NOT NULL,
            sk BLOB NOT NULL,
            item_pk BLOB NOT NULL,
            item_sk BLOB NOT NULL,
            PRIMARY KEY (table_id, index_name, pk, sk, item_pk, item_sk)) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS index_entries_by_item ON index_entries (table_id, item_pk, item_sk);
        """;

    public static async Task EnsureAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA busy_timeout = 5000;" + Schema;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
