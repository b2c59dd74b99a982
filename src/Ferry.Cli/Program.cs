namespace Ferry.Cli;

public static class Program
{
    public static Task<int> Main(string[] args) => FerryCli.RunAsync(args, CliContext.FromProcess());
}
