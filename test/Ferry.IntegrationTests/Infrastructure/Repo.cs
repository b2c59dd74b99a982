namespace Ferry.IntegrationTests.Infrastructure;

/// <summary>Paths inside the repository (samples/ are deployed by the tests as they are).</summary>
public static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string Sample(string name) => Path.Combine(Root, "samples", name);

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Ferry.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Ferry.slnx not found above " + AppContext.BaseDirectory);
    }
}
