using System.Data.Common;

namespace Ferry.Store;

public abstract partial class FerryStore
{
    /// <summary>(table, key column, secret column) of every column that holds a secret.</summary>
    internal static readonly (string Table, string Key, string Column)[] SecretColumns =
    [
        ("access_keys", "access_key_id", "secret"),
        ("installs", "id", "parameters_json"),
        ("install_revisions", "revision_id", "parameters_json"),
    ];

    /// <summary>
    /// Encrypts, in one transaction, secret values written in plain text (by a Ferry before encryption at rest, or a
    /// store opened without a protector). Safe to run at every start, and on several servers at once: the rows are
    /// locked, and encrypted rows are left alone.
    /// </summary>
    private async Task EncryptPlainSecretsAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        if (!_secrets.CanEncrypt)
        {
            return;
        }

        await using var transaction = await _dialect.BeginWriteAsync(connection, cancellationToken);
        foreach (var (table, key, column) in SecretColumns)
        {
            var plain = new List<(object Key, string Value)>();
            await using (var select = connection.Command(
                             $"SELECT {key}, {column} FROM {table} WHERE {column} NOT LIKE '{StoredSecrets.EncryptedPattern}'{_dialect.ForUpdate};", transaction))
            await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    plain.Add((reader.GetValue(0), reader.GetString(1)));
                }
            }

            foreach (var (id, value) in plain)
            {
                await using var update = connection.Command($"UPDATE {table} SET {column} = @value WHERE {key} = @key;", transaction)
                    .With("value", _secrets.Seal(value)).With("key", id);
                await update.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        await transaction.CommitAsync(cancellationToken);
    }
}
