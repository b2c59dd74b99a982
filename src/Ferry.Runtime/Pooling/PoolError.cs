using Ferry.Runtime.Instances;
using Ferry.Runtime.Quotas;

namespace Ferry.Runtime.Pooling;

/// <summary>Why a pool could not give a request an instance: expected outcomes under load, not exceptions.</summary>
public enum PoolErrorKind
{
    /// <summary>Too many requests already wait for an instance of the function (503).</summary>
    QueueFull,

    /// <summary>No instance slot freed up within the request's patience (503).</summary>
    TimedOut,

    /// <summary>The instance started for the request failed to start (502; Lambda: Runtime.InitError).</summary>
    StartFailed,

    /// <summary>The tenant's instance, memory or storage quota refuses another instance (429/507).</summary>
    QuotaExceeded,

    /// <summary>The revision was replaced or removed and no longer takes requests (503, retry).</summary>
    Retired,
}

/// <summary>What went wrong acquiring an instance; <see cref="Message"/> is safe to show the caller.</summary>
public sealed class PoolError
{
    private PoolError(PoolErrorKind kind, string message, Exception? cause)
    {
        Kind = kind;
        Message = message;
        Cause = cause;
    }

    public PoolErrorKind Kind { get; }

    public string Message { get; }

    /// <summary>The start failure or quota refusal behind <see cref="PoolErrorKind.StartFailed"/> / <see cref="PoolErrorKind.QuotaExceeded"/>.</summary>
    public Exception? Cause { get; }

    /// <summary>The refusal of a <see cref="PoolErrorKind.QuotaExceeded"/> error.</summary>
    public TenantQuotaExceededException? QuotaRefusal => Cause as TenantQuotaExceededException;

    internal static PoolError QueueFull(FunctionRevision function, int capacity)
        => new(PoolErrorKind.QueueFull, $"{function.Name} is at capacity: {capacity} requests are already waiting for an instance", null);

    internal static PoolError TimedOut(FunctionRevision function, TimeSpan patience)
        => new(PoolErrorKind.TimedOut, FormattableString.Invariant($"no instance of {function.Name} became free within {patience.TotalSeconds:0} s"), null);

    internal static PoolError StartFailed(InstanceStartException cause) => new(PoolErrorKind.StartFailed, cause.Message, cause);

    internal static PoolError QuotaExceeded(TenantQuotaExceededException refusal) => new(PoolErrorKind.QuotaExceeded, refusal.Message, refusal);

    internal static PoolError Retired(FunctionRevision function)
        => new(PoolErrorKind.Retired, $"{function.Name} r{function.RevisionNumber} was replaced while this request was routed; retry", null);

    public override string ToString() => $"{Kind}: {Message}";
}

/// <summary>A value, or the <see cref="PoolError"/> that prevented it.</summary>
public readonly struct PoolResult<T> where T : class
{
    private PoolResult(T? value, PoolError? error)
    {
        Value = value;
        Error = error;
    }

    public T? Value { get; }

    public PoolError? Error { get; }

    [System.Diagnostics.CodeAnalysis.MemberNotNullWhen(true, nameof(Value))]
    [System.Diagnostics.CodeAnalysis.MemberNotNullWhen(false, nameof(Error))]
    public bool Succeeded => Error is null;

    public static implicit operator PoolResult<T>(T value) => new(value, null);

    public static implicit operator PoolResult<T>(PoolError error) => new(null, error);

    public override string ToString() => Succeeded ? $"{Value}" : $"{Error}";
}
