namespace Ferry.Runtime.Tests;

public sealed class RequestIdTests
{
    [Fact]
    public void Request_ids_are_distinct_version_4_uuids_in_the_usual_text_form()
    {
        var ids = Enumerable.Range(0, 100_000).Select(_ => RequestId.New()).ToList();

        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        Assert.All(ids.Take(1_000), id =>
        {
            Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", id);
            var guid = Guid.ParseExact(id, "D");
            Assert.Equal(4, guid.Version);
            Assert.InRange(guid.Variant, 0x8, 0xB); // 10xx: RFC 9562
        });
    }

    [Fact]
    public void Threads_drawing_at_once_get_distinct_ids()
    {
        var ids = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 8, _ =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                ids.Add(RequestId.New());
            }
        });

        Assert.Equal(80_000, ids.Distinct(StringComparer.Ordinal).Count());
    }
}
