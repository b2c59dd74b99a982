using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace Ferry.Resources.Tables;

/// <summary>A table as stored: its row id in the database and its definition.</summary>
internal sealed record StoredTable(long Id, TableDefinition Definition, DateTimeOffset Created);

/// <summary>The encoded primary key of an item (sort key empty for tables without one).</summary>
internal readonly record struct ItemKey(byte[] Partition, byte[] Sort);

/// <summary>A range of encoded sort key values; null bounds are open.</summary>
internal sealed record SortRange(byte[]? Low, bool LowInclusive, byte[]? High, bool HighInclusive)
{
    public static SortRange All { get; } = new(null, true, null, true);
}

/// <summary>Where a read starts after (the previous page's last item): encoded index keys (index reads) and item keys.</summary>
internal sealed record ReadPosition(byte[]? IndexPartition, byte[]? IndexSort, ItemKey Item);

/// <summary>One transaction on an app stage's table database.</summary>
internal sealed class TableSession(SqliteConnection connection, SqliteTransaction transaction)
{
    public async Task<StoredTable?> FindTableAsync(string name, CancellationToken cancellationToken)
    {
        await using var command = Command("SELECT id, definition, created_ms FROM tables WHERE name = $name", ("$name", name));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new StoredTable(reader.GetInt64(0), TableDefinition.FromRequest((JsonObject)JsonNode.Parse(reader.GetString(1))!), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2)))
            : null;
    }

    public async Task<StoredTable> RequireTableAsync(string? name, CancellationToken cancellationToken)
    {
        TableDefinition.CheckName(name);
        return await FindTableAsync(name!, cancellationToken) ?? throw DynamoDbException.TableNotFound(name!);
    }

    public async Task<StoredTable> CreateTableAsync(TableDefinition definition, DateTimeOffset created, CancellationToken cancellationToken)
    {
        await using var command = Command("INSERT INTO tables (name, definition, created_ms) VALUES ($name, $definition, $created) RETURNING id",
            ("$name", definition.Name), ("$definition", definition.ToRequest().ToJsonString()), ("$created", created.ToUnixTimeMilliseconds()));
        var id = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        return new StoredTable(id, definition, created);
    }

    public async Task DeleteTableAsync(StoredTable table, CancellationToken cancellationToken)
    {
        await using var command = Command(
            "DELETE FROM index_entries WHERE table_id = $id; DELETE FROM items WHERE table_id = $id; DELETE FROM tables WHERE id = $id;", ("$id", table.Id));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Stores a new definition (same key schema) and rebuilds the index entries from the items.</summary>
    public async Task ReplaceDefinitionAsync(StoredTable table, TableDefinition definition, CancellationToken cancellationToken)
    {
        await using (var command = Command("UPDATE tables SET definition = $definition WHERE id = $id; DELETE FROM index_entries WHERE table_id = $id;",
            ("$definition", definition.ToRequest().ToJsonString()), ("$id", table.Id)))
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        var updated = table with { Definition = definition };
        var items = new List<JsonObject>();
        await foreach (var item in ReadAsync(updated, null, null, SortRange.All, forward: true, null, cancellationToken))
        {
            items.Add(item);
        }

        foreach (var item in items)
        {
            await WriteIndexEntriesAsync(updated, ItemKeys.Of(definition, item), item, cancellationToken);
        }
    }

    public async Task<IReadOnlyList<string>> ListTableNamesAsync(string? after, int limit, CancellationToken cancellationToken)
    {
        await using var command = Command("SELECT name FROM tables WHERE $after IS NULL OR name > $after ORDER BY name LIMIT $limit",
            ("$after", after), ("$limit", limit));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var names = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }

    /// <summary>Item count and size of the table, and item count per index.</summary>
    public async Task<(long Items, long Bytes, IReadOnlyDictionary<string, long> IndexItems)> CountAsync(StoredTable table, CancellationToken cancellationToken)
    {
        long items;
        long bytes;
        await using (var command = Command("SELECT count(*), coalesce(sum(size), 0) FROM items WHERE table_id = $id", ("$id", table.Id)))
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            (items, bytes) = (reader.GetInt64(0), reader.GetInt64(1));
        }

        var indexes = new Dictionary<string, long>(StringComparer.Ordinal);
        await using (var command = Command("SELECT index_name, count(*) FROM index_entries WHERE table_id = $id GROUP BY index_name", ("$id", table.Id)))
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                indexes[reader.GetString(0)] = reader.GetInt64(1);
            }
        }

        return (items, bytes, indexes);
    }

    public async Task<JsonObject?> GetItemAsync(StoredTable table, ItemKey key, CancellationToken cancellationToken)
    {
        await using var command = Command("SELECT body FROM items WHERE table_id = $id AND pk = $pk AND sk = $sk",
            ("$id", table.Id), ("$pk", key.Partition), ("$sk", key.Sort));
        return await command.ExecuteScalarAsync(cancellationToken) is string body ? (JsonObject)JsonNode.Parse(body)! : null;
    }

    /// <summary>Stores (replaces) an item and its index entries.</summary>
    public async Task PutItemAsync(StoredTable table, JsonObject item, CancellationToken cancellationToken)
    {
        var size = AttributeValues.ItemSize(item);
        if (size > AttributeValues.MaxItemBytes)
        {
            throw DynamoDbException.Validation($"Item size has exceeded the maximum allowed size: the item is {size} bytes, the limit is {AttributeValues.MaxItemBytes} bytes (400 KB)");
        }

        var key = ItemKeys.Of(table.Definition, item);
        await DeleteIndexEntriesAsync(table, key, cancellationToken);
        await using (var command = Command("INSERT OR REPLACE INTO items (table_id, pk, sk, body, size) VALUES ($id, $pk, $sk, $body, $size)",
            ("$id", table.Id), ("$pk", key.Partition), ("$sk", key.Sort), ("$body", item.ToJsonString()), ("$size", size)))
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await WriteIndexEntriesAsync(table, key, item, cancellationToken);
    }

    public async Task DeleteItemAsync(StoredTable table, ItemKey key, CancellationToken cancellationToken)
    {
        await DeleteIndexEntriesAsync(table, key, cancellationToken);
        await using var command = Command("DELETE FROM items WHERE table_id = $id AND pk = $pk AND sk = $sk",
            ("$id", table.Id), ("$pk", key.Partition), ("$sk", key.Sort));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Items in key order: of one partition (<paramref name="partition"/>) within <paramref name="range"/> of sort
    /// keys, or of the whole table/index (null partition: a Scan, ordered by partition then sort key). Index reads
    /// return only items that have the index's key attributes.
    /// </summary>
    public async IAsyncEnumerable<JsonObject> ReadAsync(StoredTable table, TableIndex? index, byte[]? partition, SortRange range, bool forward,
        ReadPosition? after, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var direction = forward ? "ASC" : "DESC";
        var comparison = forward ? ">" : "<";
        var parameters = new List<(string, object?)> { ("$id", table.Id) };
        string sql;
        if (index is null)
        {
            sql = "SELECT body FROM items WHERE table_id = $id";
            if (partition is not null)
            {
                sql += " AND pk = $pk" + RangeSql("sk", range, parameters);
                parameters.Add(("$pk", partition));
                if (after is not null)
                {
                    sql += $" AND sk {comparison} $after_sk";
                    parameters.Add(("$after_sk", after.Item.Sort));
                }

                sql += $" ORDER BY sk {direction}";
            }
            else
            {
                if (after is not null)
                {
                    sql += " AND (pk, sk) > ($after_pk, $after_sk)";
                    parameters.Add(("$after_pk", after.Item.Partition));
                    parameters.Add(("$after_sk", after.Item.Sort));
                }

                sql += " ORDER BY pk, sk";
            }
        }
        else
        {
            sql = "SELECT i.body FROM index_entries e JOIN items i ON i.table_id = e.table_id AND i.pk = e.item_pk AND i.sk = e.item_sk"
                + " WHERE e.table_id = $id AND e.index_name = $index";
            parameters.Add(("$index", index.Name));
            if (after is not null)
            {
                parameters.Add(("$after_ipk", after.IndexPartition ?? []));
                parameters.Add(("$after_isk", after.IndexSort ?? []));
                parameters.Add(("$after_pk", after.Item.Partition));
                parameters.Add(("$after_sk", after.Item.Sort));
            }

            if (partition is not null)
            {
                sql += " AND e.pk = $pk" + RangeSql("e.sk", range, parameters);
                parameters.Add(("$pk", partition));
                if (after is not null)
                {
                    sql += $" AND (e.sk, e.item_pk, e.item_sk) {comparison} ($after_isk, $after_pk, $after_sk)";
                }

                sql += $" ORDER BY e.sk {direction}, e.item_pk {direction}, e.item_sk {direction}";
            }
            else
            {
                if (after is not null)
                {
                    sql += " AND (e.pk, e.sk, e.item_pk, e.item_sk) > ($after_ipk, $after_isk, $after_pk, $after_sk)";
                }

                sql += " ORDER BY e.pk, e.sk, e.item_pk, e.item_sk";
            }
        }

        await using var command = Command(sql, [.. parameters]);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return (JsonObject)JsonNode.Parse(reader.GetString(0))!;
        }
    }

    private static string RangeSql(string column, SortRange range, List<(string, object?)> parameters)
    {
        var sql = "";
        if (range.Low is not null)
        {
            sql += $" AND {column} {(range.LowInclusive ? ">=" : ">")} $low";
            parameters.Add(("$low", range.Low));
        }

        if (range.High is not null)
        {
            sql += $" AND {column} {(range.HighInclusive ? "<=" : "<")} $high";
            parameters.Add(("$high", range.High));
        }

        return sql;
    }

    private async Task DeleteIndexEntriesAsync(StoredTable table, ItemKey key, CancellationToken cancellationToken)
    {
        if (table.Definition.Indexes.Count == 0)
        {
            return;
        }

        await using var command = Command("DELETE FROM index_entries WHERE table_id = $id AND item_pk = $pk AND item_sk = $sk",
            ("$id", table.Id), ("$pk", key.Partition), ("$sk", key.Sort));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task WriteIndexEntriesAsync(StoredTable table, ItemKey key, JsonObject item, CancellationToken cancellationToken)
    {
        foreach (var index in table.Definition.Indexes)
        {
            if (ItemKeys.OfIndex(table.Definition, index, item) is not { } indexKey)
            {
                continue;
            }

            await using var command = Command(
                "INSERT OR REPLACE INTO index_entries (table_id, index_name, pk, sk, item_pk, item_sk) VALUES ($id, $index, $ipk, $isk, $pk, $sk)",
                ("$id", table.Id), ("$index", index.Name), ("$ipk", indexKey.Partition), ("$isk", indexKey.Sort), ("$pk", key.Partition), ("$sk", key.Sort));
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private SqliteCommand Command(string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.Parameters.AddWithValue(name, value ?? DBNull.Value);
            if (value is byte[])
            {
                parameter.SqliteType = SqliteType.Blob;
            }
        }

        return command;
    }
}
