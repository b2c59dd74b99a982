using Ferry.Runtime.Sandbox;

namespace Ferry.Runtime.Tests.Sandbox;

public sealed class SandboxListenersTests
{
    private static readonly string[] Table =
    [
        "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1234 1 0000000000000000 100 0 0 10 0",
        "   1: 0100007F:2329 0100007F:B2A4 01 00000000:00000000 00:00000000 00000000     0        0 1235 1 0000000000000000 20 4 30 10 -1",
        "   0: 00000000000000000000000001000000:0BB8 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 99 1",
    ];

    [Theory]
    [InlineData(8080, true)]   // 1F90, listening
    [InlineData(9001, false)]  // 2329, only an established connection
    [InlineData(3000, true)]   // 0BB8, an IPv6 listener
    [InlineData(80, false)]
    public void A_port_listens_when_a_socket_on_it_is_in_state_LISTEN(int port, bool listening)
        => Assert.Equal(listening, SandboxListeners.TcpTableListens(Table, port.ToString("X4", System.Globalization.CultureInfo.InvariantCulture)));

    [Fact]
    public void The_remote_port_of_a_connection_is_not_a_listener()
        => Assert.False(SandboxListeners.TcpTableListens(["   1: 0100007F:B2A4 0100007F:1F90 0A 0"], "1F90"));
}
