using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.Runtime;
using MLNetExt.Interop;

namespace MLNetExt.Diagnostics;

/// <summary>
/// A component's line to ML.NET's logging, progress and cancellation: messages go to the host's channel (so they
/// reach <c>MLContext.Log</c>, tagged with the component's name), progress goes both to ML.NET's progress channel and,
/// at most every <see cref="ProgressInterval"/>, to the log; <see cref="ThrowIfCanceled"/> honours the context's
/// cancellation flag (set by <c>MLContext.CancelExecution</c>).
/// </summary>
internal sealed class ComponentChannel : IDisposable
{
    private readonly IChannel _channel;
    private readonly string _component;
    private IProgressChannel? _progress;
    private readonly Stopwatch _sinceReport = new();
    private double _done;
    private double _total;
    private string _unit = "";
    private string[] _metricNames = [];
    private double[] _metrics = [];

    /// <param name="env">The catalog's environment (or a host).</param>
    /// <param name="component">The component's name, as ML.NET tags log lines ("TemperatureScaling").</param>
    /// <param name="phase">What it is doing ("Fit", "Evaluate").</param>
    public ComponentChannel(IHostEnvironment env, string component, string phase)
    {
        Guard.NotNull(env, nameof(env));
        Host = env.Register(component);
        _component = component;
        _channel = Host.Start(phase);
    }

    /// <summary>The component's host (its random generator is seeded from the context's seed).</summary>
    public IHost Host { get; }

    /// <summary>The least time between two progress lines in the log. Default 5 seconds.</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>An informational line; the text is passed as is (braces are not format items).</summary>
    public void Info(string message) => _channel.Info(MessageSensitivity.None, "{0}", message);

    /// <summary>A warning line (an ignored option, a parameter that hit a bound).</summary>
    public void Warning(string message) => _channel.Warning(MessageSensitivity.None, "{0}", message);

    /// <summary>A trace line, for detail that only a verbose log needs.</summary>
    public void Trace(string message) => _channel.Trace(MessageSensitivity.None, "{0}", message);

    /// <summary>Throws <see cref="OperationCanceledException"/> when the context's execution was canceled.</summary>
    public void ThrowIfCanceled()
    {
        if (MLNetBridge.IsCanceled(Host))
            throw new OperationCanceledException($"{_component} was canceled (MLContext execution was canceled).");
    }

    /// <summary>
    /// Starts reporting progress of <paramref name="total"/> units ("iterations", "rows"); NaN when the total is not
    /// known (a loop that stops early, a stream of unknown length): the log then shows the count done so far.
    /// <paramref name="metricNames"/> name the values passed to <see cref="ReportProgress(double, ReadOnlySpan{double}, Func{string}?)"/>
    /// ("loss", "validation NDCG@10"): ML.NET's progress channel carries them, and each log line shows them.
    /// </summary>
    public void StartProgress(double total, string unit, params string[] metricNames)
    {
        Guard.Argument(double.IsNaN(total) || total >= 0, nameof(total), $"The progress total must be NaN (unknown) or >= 0; got {total}.");
        _total = total;
        _unit = unit;
        _done = 0;
        _metricNames = metricNames ?? [];
        _metrics = new double[_metricNames.Length];
        Array.Fill(_metrics, double.NaN);
        _progress?.Dispose();
        _progress = Host.StartProgressChannel(_component);
        _progress.SetHeader(new ProgressHeader(_metricNames, [unit]), entry =>
        {
            if (double.IsNaN(_total))
                entry.SetProgress(0, _done);
            else
                entry.SetProgress(0, _done, _total);
            for (int i = 0; i < _metrics.Length; i++)
                entry.SetMetric(i, _metrics[i]);
        });
        _sinceReport.Restart();
    }

    /// <summary>
    /// Records progress, checks for cancellation, and writes a log line when <see cref="ProgressInterval"/> has passed
    /// (or at the end). <paramref name="detail"/> is built only when a line is written.
    /// </summary>
    public void ReportProgress(double done, Func<string>? detail = null) => ReportProgress(done, [], detail);

    /// <summary>
    /// Records progress and the current values of the metrics named in <see cref="StartProgress"/> (same order; fewer
    /// values leave the rest unchanged), checks for cancellation, and writes a log line when
    /// <see cref="ProgressInterval"/> has passed or the total is reached.
    /// </summary>
    public void ReportProgress(double done, ReadOnlySpan<double> metrics, Func<string>? detail = null)
    {
        _done = done;
        Guard.Argument(metrics.Length <= _metrics.Length, nameof(metrics),
            $"{metrics.Length} metric values were reported but {_metrics.Length} metric names were given to StartProgress.");
        metrics.CopyTo(_metrics);
        ThrowIfCanceled();
        bool finished = done >= _total;
        if (!finished && _sinceReport.Elapsed < ProgressInterval)
            return;
        _sinceReport.Restart();
        var line = new System.Text.StringBuilder();
        line.Append(double.IsNaN(_total) ? $"{done:0} {_unit}" : $"{done:0}/{_total:0} {_unit}");
        for (int i = 0; i < _metrics.Length; i++)
            line.Append(CultureInfo.InvariantCulture, $"; {_metricNames[i]} {_metrics[i]:G6}");
        if (detail is not null)
            line.Append("; ").Append(detail());
        Info(line.ToString());
    }

    /// <summary>
    /// A <see cref="CancellationToken"/> that is canceled when the context's execution is canceled (ML.NET's flag,
    /// polled every <paramref name="pollInterval"/>, default 50 ms) or when <paramref name="external"/> is canceled.
    /// For loops that run in native code (LightGBM, OR-Tools, TorchSharp) and cannot call
    /// <see cref="ThrowIfCanceled"/> themselves: pass the token to them or register an interrupt on it. Dispose the
    /// returned scope when the loop ends; it stops the polling.
    /// </summary>
    public CancellationScope CreateCancellationScope(CancellationToken external = default, TimeSpan? pollInterval = null)
        => new(Host, external, pollInterval ?? TimeSpan.FromMilliseconds(50));

    public void Dispose()
    {
        _progress?.Dispose();
        _channel.Dispose();
    }
}

/// <summary>
/// A cancellation token tied to an ML.NET context (see <see cref="ComponentChannel.CreateCancellationScope"/>).
/// Disposing it stops watching the context; the token stays as it was.
/// </summary>
internal sealed class CancellationScope : IDisposable
{
    private readonly CancellationTokenSource _source;
    private readonly Timer? _timer;

    internal CancellationScope(IHostEnvironment env, CancellationToken external, TimeSpan pollInterval)
    {
        _source = CancellationTokenSource.CreateLinkedTokenSource(external);
        if (MLNetBridge.IsCanceled(env))
        {
            _source.Cancel();
            return;
        }
        _timer = new Timer(_ =>
        {
            if (MLNetBridge.IsCanceled(env))
            {
                try
                {
                    _source.Cancel();
                }
                catch (ObjectDisposedException)
                {
                    // The scope ended between the check and the cancel.
                }
            }
        }, null, pollInterval, pollInterval);
    }

    /// <summary>Canceled when the context's execution or the external token is canceled.</summary>
    public CancellationToken Token => _source.Token;

    /// <summary>Throws <see cref="OperationCanceledException"/> when <see cref="Token"/> is canceled.</summary>
    public void ThrowIfCanceled() => _source.Token.ThrowIfCancellationRequested();

    /// <summary>Stops watching the context.</summary>
    public void Dispose()
    {
        _timer?.Dispose();
        _source.Dispose();
    }
}
