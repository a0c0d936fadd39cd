using System.Diagnostics;
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

    /// <summary>Starts reporting progress of <paramref name="total"/> units ("iterations", "rows"); NaN when unknown.</summary>
    public void StartProgress(double total, string unit)
    {
        _total = total;
        _unit = unit;
        _done = 0;
        _progress?.Dispose();
        _progress = Host.StartProgressChannel(_component);
        _progress.SetHeader(new ProgressHeader(unit), entry =>
        {
            if (double.IsNaN(_total))
                entry.SetProgress(0, _done);
            else
                entry.SetProgress(0, _done, _total);
        });
        _sinceReport.Restart();
    }

    /// <summary>
    /// Records progress, checks for cancellation, and writes a log line when <see cref="ProgressInterval"/> has passed
    /// (or at the end). <paramref name="detail"/> is built only when a line is written.
    /// </summary>
    public void ReportProgress(double done, Func<string>? detail = null)
    {
        _done = done;
        ThrowIfCanceled();
        bool finished = done >= _total;
        if (!finished && _sinceReport.Elapsed < ProgressInterval)
            return;
        _sinceReport.Restart();
        string suffix = detail is null ? "" : "; " + detail();
        Info(double.IsNaN(_total) ? $"{done:0} {_unit}{suffix}" : $"{done:0}/{_total:0} {_unit}{suffix}");
    }

    public void Dispose()
    {
        _progress?.Dispose();
        _channel.Dispose();
    }
}
