namespace MLNetExt.TorchSharp.Tests.Training;

/// <summary>
/// A background thread that runs garbage collections and finalizers back to back until disposed, so a test can show
/// that native calls do not depend on when the collector runs (freed temporaries, moved arrays).
/// </summary>
internal sealed class ForcedCollections : IDisposable
{
    private readonly Thread _collector;
    private bool _stop;

    private ForcedCollections()
    {
        _collector = new Thread(() =>
        {
            while (!Volatile.Read(ref _stop))
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        }) { IsBackground = true };
        _collector.Start();
    }

    /// <summary>Starts collecting until the returned object is disposed.</summary>
    public static ForcedCollections Start() => new();

    /// <summary>Stops the thread and waits for it.</summary>
    public void Dispose()
    {
        Volatile.Write(ref _stop, true);
        _collector.Join();
    }
}
