namespace Ferry.Resources.Buckets;

/// <summary>
/// An S3 error: the code SDKs map to exception types, its HTTP status and a message. Thrown by storage and the
/// payload readers; the endpoint turns it into S3's XML error response.
/// </summary>
public sealed class S3Exception(string code, int status, string message) : Exception(message)
{
    public string Code { get; } = code;

    public int Status { get; } = status;

    /// <summary>Extra elements of the error document (Key, BucketName, CanonicalRequest…), in order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Details { get; init; } = [];

    public static S3Exception AccessDenied(string message) => new("AccessDenied", 403, message);

    public static S3Exception NoSuchBucket(string bucket) => new("NoSuchBucket", 404, $"The specified bucket '{bucket}' does not exist")
    {
        Details = [new("BucketName", bucket)],
    };

    public static S3Exception NoSuchKey(string key) => new("NoSuchKey", 404, "The specified key does not exist.")
    {
        Details = [new("Key", key)],
    };

    public static S3Exception NoSuchUpload(string uploadId) => new("NoSuchUpload", 404,
        $"The specified multipart upload '{uploadId}' does not exist: it may have been aborted or completed");

    public static S3Exception InvalidArgument(string message) => new("InvalidArgument", 400, message);

    public static S3Exception InvalidRequest(string message) => new("InvalidRequest", 400, message);

    public static S3Exception MalformedXml(string message) => new("MalformedXML", 400,
        $"The XML you provided was not well-formed or did not validate against our published schema: {message}");

    public static S3Exception EntityTooLarge(long limit) => new("EntityTooLarge", 400,
        $"Your proposed upload exceeds the maximum allowed size of {limit} bytes");

    /// <summary>The tenant's storage is over its quota: writes are refused until it deletes data or the quota is raised (507).</summary>
    public static S3Exception QuotaExceeded(string message) => new("QuotaExceeded", 507, message);

    public static S3Exception KeyTooLong(int bytes) => new("KeyTooLongError", 400,
        $"Your key is too long: {bytes} UTF-8 bytes, the limit is {ObjectKeys.MaxKeyBytes}");

    public static S3Exception IncompleteBody(string message) => new("IncompleteBody", 400, message);

    public static S3Exception BadDigest(string message) => new("BadDigest", 400, message);

    public static S3Exception PreconditionFailed(string condition) => new("PreconditionFailed", 412,
        $"At least one of the pre-conditions you specified did not hold: {condition}")
    {
        Details = [new("Condition", condition)],
    };
}
