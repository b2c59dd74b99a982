namespace Ferry.Cli.Output;

/// <summary>The <c>--output</c> choice of read commands.</summary>
internal enum OutputFormat
{
    /// <summary>Aligned, human-readable text.</summary>
    Text,

    /// <summary>The API's JSON, for scripts.</summary>
    Json,
}
