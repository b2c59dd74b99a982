namespace Ferry.Runtime;

/// <summary>
/// The id of one invocation (the <c>apigw-requestid</c> and <c>x-amzn-RequestId</c> headers, <c>context.awsRequestId</c>,
/// the START/END/REPORT lines, the invocation record): a version 4 UUID drawn from <see cref="Random.Shared"/>.
/// <see cref="Guid.NewGuid"/> reads the kernel's random generator with a system call per id, on every request the
/// gateway serves. A request id must be unique, not secret: nothing is authorized by one (the Runtime API takes an
/// invocation's answer only from the instance that holds it, known by its token or by the kernel).
/// </summary>
public static class RequestId
{
    public static string New()
    {
        Span<byte> bytes = stackalloc byte[16];
        Random.Shared.NextBytes(bytes);
        // Guid's byte order is little-endian in its first three fields: the version is the high nibble of byte 7.
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // the RFC 9562 variant
        return new Guid(bytes).ToString();
    }
}
