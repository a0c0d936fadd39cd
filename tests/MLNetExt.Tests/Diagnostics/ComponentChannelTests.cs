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

    [TestMethod]
    public void CancellationScope_TokenFiresWhenTheContextIsCanceled()
    {
        var mlContext = new MLContext(seed: 1);
        using var channel = new ComponentChannel(mlContext, "NativeLoop", "Fit");
        using var scope = channel.CreateCancellationScope(pollInterval: TimeSpan.FromMilliseconds(10));
        Assert.IsFalse(scope.Token.IsCancellationRequested);
        var fired = new ManualResetEventSlim();
        using var registration = scope.Token.Register(fired.Set);
        Cancellation.Cancel(mlContext);
        Assert.IsTrue(fired.Wait(TimeSpan.FromSeconds(10)), "the token must be canceled within a few poll intervals");
        Assert.ThrowsExactly<OperationCanceledException>(() => scope.ThrowIfCanceled());
    }

    [TestMethod]
    public void CancellationScope_FollowsAnExternalToken_AndStartsCanceledAfterCancel()
    {
        var mlContext = new MLContext(seed: 1);
        using var channel = new ComponentChannel(mlContext, "NativeLoop", "Fit");
        using var external = new CancellationTokenSource();
        using (var scope = channel.CreateCancellationScope(external.Token))
        {
            external.Cancel();
            Assert.IsTrue(scope.Token.IsCancellationRequested);
        }
        Cancellation.Cancel(mlContext);
        using var late = channel.CreateCancellationScope();
        Assert.IsTrue(late.Token.IsCancellationRequested, "a scope made after the cancel starts canceled");
    }

    [TestMethod]
    public void Progress_WithUnknownTotal_AndMetrics_IsLogged()
    {
        var mlContext = new MLContext(seed: 1);
        var lines = new List<string>();
        mlContext.Log += (_, e) => { lock (lines) lines.Add(e.Message); };
        using (var channel = new ComponentChannel(mlContext, "Epochs", "Fit") { ProgressInterval = TimeSpan.Zero })
        {
            channel.StartProgress(double.NaN, "epochs", "loss", "validation NDCG@10");
            channel.ReportProgress(3, [0.25, 0.5]);
            var e = Assert.ThrowsExactly<ArgumentException>(() => channel.ReportProgress(4, [1, 2, 3]));
            StringAssert.Contains(e.Message, "3 metric values were reported but 2 metric names");
        }
        Assert.IsTrue(lines.Any(l => l.Contains("3 epochs; loss 0.25; validation NDCG@10 0.5")), string.Join("\n", lines));
    }

    private static string Dump(IEnumerable<LoggingEventArgs> log) => string.Join("\n", log.Select(e => $"{e.Kind} {e.Source}: {e.Message}"));
}
