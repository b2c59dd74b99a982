namespace Ferry.Manifest;

/// <summary>The runtimes Ferry knows how to start.</summary>
public static class RuntimeCatalog
{
    public const string Web = "web";

    public static bool IsNode(string runtime) => runtime.StartsWith("nodejs", StringComparison.Ordinal);

    public static bool IsPython(string runtime) => runtime.StartsWith("python3", StringComparison.Ordinal);

    public static bool IsProvided(string runtime) => runtime is "provided" or "provided.al2" or "provided.al2023";

    public static bool IsKnown(string runtime) =>
        runtime == Web || IsNode(runtime) || IsPython(runtime) || IsProvided(runtime);

    public static FunctionKind KindOf(string runtime) => runtime == Web ? FunctionKind.Web : FunctionKind.Event;

    /// <summary>Shown in errors about an unknown runtime.</summary>
    public const string Supported = "nodejs18.x, nodejs20.x, nodejs22.x, python3.9 … python3.13, provided, provided.al2, provided.al2023, web";
}
