namespace Ferry.Resources.Queues;

/// <summary>
/// An SQS error: <see cref="Code"/> is the JSON protocol's error type (<c>QueueDoesNotExist</c>), <see cref="QueryCode"/>
/// the query protocol's code (<c>AWS.SimpleQueueService.NonExistentQueue</c>), which JSON answers carry too in
/// <c>x-amzn-query-error</c> for SDKs that expect the older codes.
/// </summary>
public sealed class SqsException(string code, string queryCode, int status, string message, bool senderFault = true) : Exception(message)
{
    public string Code { get; } = code;

    public string QueryCode { get; } = queryCode;

    public int Status { get; } = status;

    public bool SenderFault { get; } = senderFault;

    public static SqsException InvalidParameter(string message) => new("InvalidParameterValue", "InvalidParameterValue", 400, message);

    public static SqsException MissingParameter(string name) => new("MissingParameter", "MissingParameter", 400, $"The request must contain the parameter {name}.");

    public static SqsException NoSuchQueue(string name) => new("QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", 400,
        $"The specified queue '{name}' does not exist.");

    public static SqsException AccessDenied(string message) => new("AccessDenied", "AccessDenied", 403, message);

    public static SqsException InvalidReceiptHandle(string handle) => new("ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid", 400,
        $"The input receipt handle \"{(handle.Length > 100 ? handle[..100] + "…" : handle)}\" is not a valid receipt handle.");

    public static SqsException TooLarge(int size, int limit) => new("InvalidParameterValue", "InvalidParameterValue", 400,
        $"One or more parameters are invalid. Reason: Message must be shorter than {limit} bytes (this one is {size} bytes, counting its message attributes).");
}
