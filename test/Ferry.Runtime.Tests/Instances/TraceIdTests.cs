using Ferry.Runtime.Instances;

namespace Ferry.Runtime.Tests.Instances;

public sealed class TraceIdTests
{
    [Fact]
    public void The_trace_header_has_the_start_second_in_hex_and_24_hex_digits_of_the_request_id()
    {
        var start = DateTimeOffset.FromUnixTimeSeconds(0x5f5e1000);

        var trace = EventFunctionInstance.TraceIdFor("3f2a9c1e-7b4d-4e8a-9f01-23456789abcd", start);

        Assert.Equal("Root=1-5f5e1000-3f2a9c1e7b4d4e8a9f012345;Sampled=0", trace);
    }

    [Fact]
    public void A_short_request_id_is_padded_with_zeros()
    {
        var trace = EventFunctionInstance.TraceIdFor("ab-cd", DateTimeOffset.FromUnixTimeSeconds(1));

        Assert.Equal("Root=1-00000001-abcd00000000000000000000;Sampled=0", trace);
    }
}
