using Ferry.Runtime.Telemetry;
using Microsoft.Data.Sqlite;

namespace Ferry.Runtime.Tests.Telemetry;

public sealed class TelemetryStoreAttemptsTests
{
    private static readonly TelemetryStoreAttempts Patient = new(TimeSpan.FromSeconds(10));

    [Fact]
    public async Task Rows_the_store_refuses_are_found_by_halving_and_only_they_are_given_up()
    {
        var stored = new List<int>();
        var givenUp = new List<int>();
        var batch = Enumerable.Range(0, 20).ToList();

        var lost = await Patient.StoreAsync(batch, rows =>
        {
            if (rows.Any(row => row is 3 or 17))
            {
                throw new SqliteException("FOREIGN KEY constraint failed", 19); // SQLITE_CONSTRAINT
            }

            stored.AddRange(rows);
            return Task.CompletedTask;
        }, (_, _, _) => throw new InvalidOperationException("a refusal is never retried as it is"), (_, count) => givenUp.Add(count));

        Assert.Equal(2, lost);
        Assert.Equal([2], givenUp); // told once, for the whole batch
        Assert.Equal(batch.Where(row => row is not (3 or 17)), stored.Order());
    }

    [Fact]
    public async Task A_retry_while_a_refused_batch_is_split_names_the_rows_tried_again()
    {
        var busyOnce = true;
        var retried = new List<int>();

        var lost = await Patient.StoreAsync([0, 1, 2, 3], rows =>
        {
            if (rows.Contains(0))
            {
                throw new SqliteException("NOT NULL constraint failed", 19); // SQLITE_CONSTRAINT
            }

            if (rows.Contains(3) && busyOnce)
            {
                busyOnce = false;
                throw new SqliteException("database is locked", 5); // SQLITE_BUSY
            }

            return Task.CompletedTask;
        }, (_, count, _) => retried.Add(count), (_, _) => { });

        Assert.Equal(1, lost);
        Assert.Equal([2], retried); // the half with rows 2 and 3, not the batch of four
    }

    [Fact]
    public async Task An_unavailable_store_is_tried_again_with_the_same_rows()
    {
        var calls = new List<IReadOnlyList<int>>();
        var retries = new List<int>();

        var lost = await Patient.StoreAsync([1, 2, 3], rows =>
        {
            calls.Add(rows);
            return calls.Count <= 2 ? throw new SqliteException("database is locked", 5) : Task.CompletedTask; // SQLITE_BUSY
        }, (_, count, attempt) => { Assert.Equal(3, count); retries.Add(attempt); }, (_, _) => throw new InvalidOperationException("nothing is given up"));

        Assert.Equal(0, lost);
        Assert.Equal([1, 2], retries);
        Assert.All(calls, rows => Assert.Equal([1, 2, 3], rows));
    }

    [Fact]
    public async Task Past_its_patience_the_whole_batch_is_given_up()
    {
        var attempts = new TelemetryStoreAttempts(TimeSpan.FromMilliseconds(300)); // 200 ms fits once, 200 + 400 ms does not
        var calls = 0;
        var givenUp = 0;

        var lost = await attempts.StoreAsync([1, 2, 3], _ =>
        {
            calls++;
            throw new IOException("disk gone");
        }, (_, _, _) => { }, (_, count) => givenUp = count);

        Assert.Equal(3, lost);
        Assert.Equal(3, givenUp);
        Assert.InRange(calls, 1, 2); // a second attempt only if the first wait ended in time

    }

    [Fact]
    public async Task After_a_batch_lost_to_an_outage_the_next_ones_get_one_attempt_until_the_store_takes_one()
    {
        var attempts = new TelemetryStoreAttempts(TimeSpan.FromMilliseconds(300));
        var calls = 0;
        var failuresLeft = 0;
        Task Store(IReadOnlyList<int> rows)
        {
            calls++;
            return failuresLeft-- > 0 ? throw new IOException("connection refused") : Task.CompletedTask;
        }

        failuresLeft = int.MaxValue;
        Assert.Equal(1, await attempts.StoreAsync([1], Store, (_, _, _) => { }, (_, _) => { })); // patience spent: lost
        (calls, failuresLeft) = (0, 1);
        Assert.Equal(1, await attempts.StoreAsync([2], Store, (_, _, _) => { }, (_, _) => { })); // the outage goes on: one attempt
        Assert.Equal(1, calls);
        (calls, failuresLeft) = (0, 0);
        Assert.Equal(0, await attempts.StoreAsync([3], Store, (_, _, _) => { }, (_, _) => { })); // the store is back
        (calls, failuresLeft) = (0, 1);
        Assert.Equal(0, await attempts.StoreAsync([4], Store, (_, _, _) => { }, (_, _) => { })); // patience again: retried
        Assert.Equal(2, calls);
    }
}
