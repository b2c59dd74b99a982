namespace Ferry.Cli.Init;

/// <summary>A built-in starter of <c>ferry init</c>: a folder of embedded files with <c>{{name}}</c> placeholders.</summary>
internal sealed record Starter(string Name, string Description);
