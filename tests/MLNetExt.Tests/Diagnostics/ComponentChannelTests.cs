using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNetExt.Diagnostics;
using MLNetExt.Tests.Support;

namespace MLNetExt.Tests.Diagnostics;

/// <summary>Logging, progress and cancellation through ML.NET's channels.</summary>
[TestClass]
public sealed class ComponentChannelTests
{
    [TestMethod]
    public void Messages_ReachMLContextLog_TaggedWithTheComponent()
    {
        var mlContext = new MLContext(seed: 1);
        var log = new List<LoggingEventArgs>();
        mlContext.Log += (_, e) => { lock (log) log.Add(e); };
        using (var channel = new ComponentChannel(mlContext, "MyComponent", "Fit") { ProgressInterval = TimeSpan.Zero })
        {
            channel.Info("an {unformatted} message");
            channel.Warning("careful");
            channel.StartProgress(100, "rows");
            channel.ReportProgress(50, () => "half way");
        }
        Assert.IsTrue(log.Any(e => e.Message.Contains("an {unformatted} message") && e.Source.Contains("MyComponent")), Dump(log));
        Assert.IsTrue(log.Any(e => e.Message.Contains("careful") && e.Kind == ChannelMessageKind.Warning), Dump(log));
        Assert.IsTrue(log.Any(e => e.Message.Contains("50/100 rows; half way")), Dump(log));
    }

    [TestMethod]
    public void Progress_IsThrottledToTheInterval()
    {
        var mlContext = new MLContext(seed: 1);
        var lines = new List<string>();
        mlContext.Log += (_, e) => { lock (lines) lines.Add(e.Message); };
        using (var channel = new ComponentChannel(mlContext, "Throttled", "Fit") { ProgressInterval = TimeSpan.FromHours(1) })
        {
            channel.StartProgress(1000, "iterations");
            for (int i = 1; i <= 1000; i++)
                channel.ReportProgress(i);
        }
        Assert.AreEqual(1, lines.Count(l => l.Contains("iterations")), "only the final line is written");
    }

    [TestMethod]
    public void ThrowIfCanceled_AfterTheContextIsCanceled()
    {
        var mlContext = new MLContext(seed: 1);
        using var channel = new ComponentChannel(mlContext, "Cancelable", "Fit");
        channel.ThrowIfCanceled();
        Cancellation.Cancel(mlContext);
        var ex = Assert.ThrowsExactly<OperationCanceledException>(() => channel.ThrowIfCanceled());
        StringAssert.Contains(ex.Message, "Cancelable was canceled");
    }

    private static string Dump(IEnumerable<LoggingEventArgs> log) => string.Join("\n", log.Select(e => $"{e.Kind} {e.Source}: {e.Message}"));
}
