using System.Text.Json;
using Ferry.Resources.Buckets;

namespace Ferry.Resources.Tests.Buckets;

public sealed class BucketEventTests
{
    private static BucketNotification Notification(string eventName = "ObjectCreated:Put", string key = "uploads/cat.jpg", string bucket = "photos")
        => new("acme", bucket, eventName, key, 1024, "0123456789abcdef0123456789abcdef", new DateTimeOffset(2026, 1, 2, 3, 4, 5, 678, TimeSpan.Zero), "us-east-1");

    [Theory]
    [InlineData("s3:ObjectCreated:*", "ObjectCreated:Put", true)]
    [InlineData("s3:ObjectCreated:*", "ObjectCreated:CompleteMultipartUpload", true)]
    [InlineData("s3:ObjectCreated:*", "ObjectRemoved:Delete", false)]
    [InlineData("s3:ObjectCreated:Put", "ObjectCreated:Put", true)]
    [InlineData("s3:ObjectCreated:Put", "ObjectCreated:Copy", false)]
    [InlineData("s3:ObjectRemoved:*", "ObjectRemoved:Delete", true)]
    [InlineData("ObjectRemoved:Delete", "ObjectRemoved:Delete", true)]
    [InlineData("s3:*", "ObjectRemoved:Delete", true)]
    public void Rules_match_event_names_exactly_or_by_wildcard(string pattern, string eventName, bool matches)
        => Assert.Equal(matches, new BucketEventRule("photos", pattern, null, null).Matches(Notification(eventName)));

    [Theory]
    [InlineData("uploads/", ".jpg", true)]
    [InlineData("uploads/", null, true)]
    [InlineData(null, ".jpg", true)]
    [InlineData("", "", true)]
    [InlineData("thumbs/", ".jpg", false)]
    [InlineData("uploads/", ".png", false)]
    [InlineData("Uploads/", null, false)]
    public void Rules_filter_keys_by_prefix_and_suffix(string? prefix, string? suffix, bool matches)
        => Assert.Equal(matches, new BucketEventRule("photos", "s3:ObjectCreated:*", prefix, suffix).Matches(Notification()));

    [Fact]
    public void Rules_only_match_their_bucket()
        => Assert.False(new BucketEventRule("docs", "s3:ObjectCreated:*", null, null).Matches(Notification()));

    [Fact]
    public void The_event_json_has_the_aws_s3_notification_shape()
    {
        using var json = JsonDocument.Parse(Notification(key: "my photos/ä+b.jpg").ToEventJson());
        var record = Assert.Single(json.RootElement.GetProperty("Records").EnumerateArray());

        Assert.Equal("2.1", record.GetProperty("eventVersion").GetString());
        Assert.Equal("aws:s3", record.GetProperty("eventSource").GetString());
        Assert.Equal("us-east-1", record.GetProperty("awsRegion").GetString());
        Assert.Equal("2026-01-02T03:04:05.678Z", record.GetProperty("eventTime").GetString());
        Assert.Equal("ObjectCreated:Put", record.GetProperty("eventName").GetString());
        var s3 = record.GetProperty("s3");
        Assert.Equal("1.0", s3.GetProperty("s3SchemaVersion").GetString());
        Assert.Equal("photos", s3.GetProperty("bucket").GetProperty("name").GetString());
        Assert.Equal("arn:aws:s3:::photos", s3.GetProperty("bucket").GetProperty("arn").GetString());
        var item = s3.GetProperty("object");
        // Form-encoded like AWS: space as '+', '+' as %2B, UTF-8 escaped, '/' kept.
        Assert.Equal("my+photos/%C3%A4%2Bb.jpg", item.GetProperty("key").GetString());
        Assert.Equal(1024, item.GetProperty("size").GetInt64());
        Assert.Equal("0123456789abcdef0123456789abcdef", item.GetProperty("eTag").GetString());
        Assert.Matches("^[0-9A-F]{16}$", item.GetProperty("sequencer").GetString());
    }

    [Fact]
    public void Removal_events_carry_no_size_or_etag_and_sequencers_grow_with_time()
    {
        var removed = Notification("ObjectRemoved:Delete");
        using var json = JsonDocument.Parse(removed.ToEventJson());
        var item = json.RootElement.GetProperty("Records")[0].GetProperty("s3").GetProperty("object");

        Assert.False(item.TryGetProperty("size", out _));
        Assert.False(item.TryGetProperty("eTag", out _));
        var later = removed with { Time = removed.Time.AddMilliseconds(1) };
        Assert.True(string.CompareOrdinal(later.Sequencer, removed.Sequencer) > 0);
    }
}
