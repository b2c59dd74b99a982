using Ferry.Runtime.Sandbox;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ferry.Runtime.Tests.Sandbox;

public sealed class CgroupHostTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("ferry-cgroup-test-");

    public void Dispose() => _root.Delete(recursive: true);

    [Fact]
    public async Task Falls_back_to_the_controller_root_when_our_own_cgroup_is_not_writable()
    {
        var notAFolder = Path.Combine(_root.FullName, "own");
        await File.WriteAllTextAsync(notAFolder, "a file where our cgroup folder should be");
        var memory = new CgroupHierarchy(_root.FullName, Path.Combine(notAFolder, "child"), new HashSet<string> { "memory" });

        var host = CgroupHost.Prepare(new CgroupLayout(CgroupVersion.V1, [memory], null), NullLogger.Instance);

        Assert.True(Directory.Exists(Path.Combine(_root.FullName, CgroupHost.ParentFolderName)));
        Assert.True(host.LimitsMemory);
        Assert.Contains("pids, cpu not mounted", host.Description);

        var instance = await host.CreateInstanceAsync("abc-1", CgroupLimits.ForMemory(128, 1));
        Assert.NotNull(instance);
        var folder = Path.Combine(_root.FullName, CgroupHost.ParentFolderName, "ferry-abc-1");
        Assert.Equal([folder], instance.Directories);

        await instance.RemoveAsync();
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public async Task V1_cpu_cgroups_of_instances_sit_beside_our_process_and_the_others_in_the_ferry_folder()
    {
        var memoryOwn = Directory.CreateDirectory(Path.Combine(_root.FullName, "memory", "service")).FullName;
        var cpuOwn = Directory.CreateDirectory(Path.Combine(_root.FullName, "cpu,cpuacct", "service")).FullName;
        var memory = new CgroupHierarchy(Path.GetDirectoryName(memoryOwn)!, memoryOwn, new HashSet<string> { "memory" });
        var cpu = new CgroupHierarchy(Path.GetDirectoryName(cpuOwn)!, cpuOwn, new HashSet<string> { "cpu", "cpuacct" });

        var host = CgroupHost.Prepare(new CgroupLayout(CgroupVersion.V1, [memory, cpu], null), NullLogger.Instance);
        var instance = await host.CreateInstanceAsync("abc-2", CgroupLimits.ForMemory(128, 1));

        Assert.NotNull(instance);
        Assert.Equal([Path.Combine(memoryOwn, CgroupHost.ParentFolderName, "ferry-abc-2"), Path.Combine(cpuOwn, "ferry-abc-2")], instance.Directories);
        Assert.False(Directory.Exists(Path.Combine(cpuOwn, CgroupHost.ParentFolderName))); // the probe folder is gone
        Assert.Contains("cpu", host.Controllers);

        await instance.RemoveAsync();
        Assert.False(Directory.Exists(Path.Combine(cpuOwn, "ferry-abc-2")));
    }

    [Fact]
    public async Task V1_cpu_cgroups_of_instances_go_to_the_hierarchy_root_when_our_own_cgroup_is_not_writable()
    {
        var cpuRoot = Directory.CreateDirectory(Path.Combine(_root.FullName, "cpu")).FullName;
        var notAFolder = Path.Combine(cpuRoot, "own");
        await File.WriteAllTextAsync(notAFolder, "a file where our cgroup folder should be");
        var cpu = new CgroupHierarchy(cpuRoot, Path.Combine(notAFolder, "child"), new HashSet<string> { "cpu" });

        var host = CgroupHost.Prepare(new CgroupLayout(CgroupVersion.V1, [cpu], null), NullLogger.Instance);
        var instance = await host.CreateInstanceAsync("abc-3", CgroupLimits.ForMemory(128, 1));

        Assert.NotNull(instance);
        Assert.Equal([Path.Combine(cpuRoot, "ferry-abc-3")], instance.Directories);
        await instance.RemoveAsync();
    }

    [Fact]
    public void Unwritable_hierarchy_degrades_with_the_reason_in_the_description()
    {
        var file = Path.Combine(_root.FullName, "mount");
        File.WriteAllText(file, "");
        var pids = new CgroupHierarchy(file, file, new HashSet<string> { "pids" });

        var host = CgroupHost.Prepare(new CgroupLayout(CgroupVersion.V1, [pids], null), NullLogger.Instance);

        Assert.Empty(host.Controllers);
        Assert.Contains("pids unavailable: cannot create", host.Description);
    }

    [Fact]
    public async Task Disabled_host_creates_no_cgroups()
    {
        var host = CgroupHost.Disabled("testing", NullLogger.Instance);

        Assert.Equal(CgroupVersion.None, host.Version);
        Assert.StartsWith("no cgroups; testing", host.Description);
        Assert.Null(await host.CreateInstanceAsync("x", CgroupLimits.ForMemory(128, 1)));
    }

    [Theory]
    [InlineData(1769, 8, 1.0)]
    [InlineData(3538, 8, 2.0)]
    [InlineData(128, 8, CgroupLimits.MinimumVcpus)]
    [InlineData(10240, 2, 2.0)]
    public void Cpu_grows_with_memory_between_the_floor_and_the_host(int memoryMb, int processors, double vcpus)
    {
        var limits = CgroupLimits.ForMemory(memoryMb, processors);

        Assert.Equal(vcpus, limits.Vcpus, precision: 6);
        Assert.Equal(memoryMb * 1024L * 1024L, limits.MemoryBytes);
        Assert.Equal(CgroupLimits.DefaultMaxProcesses, limits.MaxProcesses);
    }

    [Fact]
    public void Cpu_quota_is_a_share_of_the_period()
    {
        Assert.Equal(100_000, CgroupLimits.ForMemory(1769, 4).CpuQuotaMicroseconds);
        Assert.Equal(25_000, CgroupLimits.ForMemory(128, 4).CpuQuotaMicroseconds);
    }
}
