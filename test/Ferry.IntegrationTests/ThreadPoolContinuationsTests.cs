using Ferry.Server;
using Microsoft.AspNetCore.Http;

namespace Ferry.IntegrationTests;

/// <summary>
/// Issue 12, inline I/O: the control plane's code must run on the thread pool even when what it awaits completes on a
/// socket thread (here: a dedicated thread, which is not one of the pool's, as the sockets' threads are not).
/// </summary>
public sealed class ThreadPoolContinuationsTests
{
    [Fact]
    public async Task Without_it_a_continuation_runs_on_the_thread_that_completed_the_awaited_task()
    {
        // The control: what a request's code does under inline I/O when nothing moves it (started on the pool, out of
        // the test framework's synchronization context, as a request is).
        var socketRead = new SocketRead();
        var request = Task.Run(() => RecordThreadAfter(socketRead)(new DefaultHttpContext()));

        await socketRead.CompleteOnDedicatedThreadAsync();

        Assert.False(await request);
    }

    [Fact]
    public async Task A_request_run_by_it_continues_on_the_pool_after_an_await_completed_on_another_thread()
    {
        var socketRead = new SocketRead();
        var onPool = false;
        var request = ThreadPoolContinuations.Run(async context => onPool = await RecordThreadAfter(socketRead)(context), new DefaultHttpContext());

        await socketRead.CompleteOnDedicatedThreadAsync();
        await request;

        Assert.True(onPool);
    }

    [Fact]
    public async Task Code_after_a_framework_method_that_resumed_on_the_socket_thread_still_continues_on_the_pool()
    {
        // Like Kestrel's body stream: its own await resumes where the socket read completed; the request's code after it must not.
        var socketRead = new SocketRead();
        bool? frameworkOnPool = null;
        async ValueTask<int> ReadBodyAsync()
        {
            await socketRead.Awaited().ConfigureAwait(false);
            frameworkOnPool = Thread.CurrentThread.IsThreadPoolThread;
            return 1;
        }

        var requestOnPool = false;
        var request = ThreadPoolContinuations.Run(async _ =>
        {
            await ReadBodyAsync();
            requestOnPool = Thread.CurrentThread.IsThreadPoolThread;
        }, new DefaultHttpContext());

        await socketRead.CompleteOnDedicatedThreadAsync();
        await request;

        Assert.False(frameworkOnPool);
        Assert.True(requestOnPool);
    }

    /// <summary>A request handler that awaits <paramref name="read"/> and then tells whether it runs on a pool thread.</summary>
    private static Func<HttpContext, Task<bool>> RecordThreadAfter(SocketRead read) => async _ =>
    {
        await read.Awaited();
        return Thread.CurrentThread.IsThreadPoolThread;
    };

    /// <summary>A read that a thread of its own completes (continuations inline), as a socket thread would.</summary>
    private sealed class SocketRead
    {
        private readonly TaskCompletionSource _completion = new();
        private readonly TaskCompletionSource _awaiting = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>The task to await; the read completes only after this was asked for (and a little longer).</summary>
        public Task Awaited()
        {
            _awaiting.TrySetResult();
            return _completion.Task;
        }

        public Task CompleteOnDedicatedThreadAsync()
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var thread = new Thread(() =>
            {
                _awaiting.Task.Wait();
                Thread.Sleep(20); // from asking for the task to awaiting it
                _completion.SetResult();
                done.SetResult();
            })
            { IsBackground = true, Name = "socket thread (test)" };
            thread.Start();
            return done.Task;
        }
    }
}
