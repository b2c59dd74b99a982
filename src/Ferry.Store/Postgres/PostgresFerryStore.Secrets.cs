using Npgsql;

namespace Ferry.Store.Postgres;

public sealed partial class PostgresFerryStore
{
    /// <summary>
    /// Encrypts, in one transaction, secret values written in plain text (by a Ferry before encryption at rest, or a
    /// store opened without a protector). Safe to run at every start, and on several servers at once: the rows are
    /// locked, and encrypted rows are left alone.
    /// </summary>
    private async Task EncryptPlainSecretsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        if (!_secrets.CanEncrypt)
        {
            return;
        }

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        foreach (var (table, key, column) in SqliteFerryStore.SecretColumns)
        {
            var plain = new List<(object Key, string Value)>();
            await using (var select = connection.Command(
                             $"SELECT {key}, {column} FROM {table} WHERE {column} NOT LIKE '{StoredSecrets.EncryptedPattern}' FOR UPDATE;", transaction))
            await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    plain.Add((reader.GetValue(0), reader.GetString(1)));
                }
            }

            foreach (var (id, value) in plain)
            {
                await using var update = connection.Command($"UPDATE {table} SET {column} = @value WHERE {key} = @key;", transaction);
                update.Parameters.AddWithValue("value", _secrets.Seal(value));
                update.Parameters.AddWithValue("key", id);
                await update.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        await transaction.CommitAsync(cancellationToken);
    }
}
