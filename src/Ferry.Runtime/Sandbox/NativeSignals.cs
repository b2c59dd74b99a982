using System.Runtime.InteropServices;

namespace Ferry.Runtime.Sandbox;

/// <summary>kill(2), for processes that are not our children (everything inside a cgroup).</summary>
internal static class NativeSignals
{
    private const int Sigkill = 9;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    /// <summary>Sends SIGKILL; a process that is already gone is not an error.</summary>
    public static void Kill(int pid)
    {
        if (pid > 1)
        {
            _ = SendSignal(pid, Sigkill);
        }
    }
}
