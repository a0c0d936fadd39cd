using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNetExt.Calibration.Fitting;
using MLNetExt.Diagnostics;
using MLNetExt.Calibration.Kernels;

namespace MLNetExt.Calibration;

/// <summary>
/// Fits binary temperature scaling: <c>P(y = 1) = sigmoid(x / T)</c> for a raw score or logit x (for probability
/// input, x = logit(p)), T &gt; 0 minimizing the negative log-likelihood of the labels. It is Platt scaling without
/// the intercept: it keeps the decision threshold at x = 0 and only corrects over- or under-confidence.
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term>Learns from data</term><description>yes: one temperature, from a Boolean label and a score</description></item>
/// <item><term>Input</term><description>score: Single or Double; label: Boolean</description></item>
/// <item><term>Output</term><description>Single probability column (default "Probability")</description></item>
/// <item><term>Package / native dependency</term><description>MLNetExt / none</description></item>
/// <item><term>Deterministic</term><description>yes</description></item>
/// </list>
/// The one-dimensional convex problem in 1/T is solved with exact derivatives by safeguarded Newton steps in double
/// precision, with no bounds on T: the optimum is bracketed by factors of 16 from T = 1, so scores on any scale are
/// fitted. Scores that carry no information (the likelihood is best at T = infinity) are refused; scores that separate
/// the labels (best at T -&gt; 0) give a warning and the T where the likelihood stops changing.
/// </remarks>
public sealed class BinaryTemperatureScalingEstimator : BinaryCalibratorEstimator<BinaryTemperatureScalingTransformer>
{
    internal const string ComponentName = "BinaryTemperatureScaling";

    /// <summary>Options of <see cref="BinaryTemperatureScalingEstimator"/>: the columns (see <see cref="BinaryCalibratorOptions"/>).</summary>
    public sealed class Options : BinaryCalibratorOptions
    {
    }

    internal BinaryTemperatureScalingEstimator(IHostEnvironment env, Options options) : base(env, options, ComponentName)
    {
    }

    private protected override BinaryTemperatureScalingTransformer FitCore<T, TW>(ComponentChannel channel, PredictionStore<T, TW> rows)
    {
        var options = CopiedOptions;
        var fit = TemperatureFitter.FitBinary(rows, options.ScoreKind, options.ProbabilityFloor, TemperatureScalingSupport.OnPass(channel));
        TemperatureScalingSupport.Report(channel, fit, rows.PositiveRows, options.ScoreColumnName, options.LabelColumnName);
        return new BinaryTemperatureScalingTransformer(options.ScoreColumnName, options.OutputColumnName, options.ScoreKind,
            options.ProbabilityFloor, options.OutputKind, fit.Temperature);
    }
}

/// <summary>Reporting shared by the binary and multiclass temperature fits.</summary>
internal static class TemperatureScalingSupport
{
    /// <summary>Before each pass over the fit data: a trace line, then a cancellation check.</summary>
    public static Action<string> OnPass(ComponentChannel channel) => step =>
    {
        channel.Trace(step);
        channel.ThrowIfCanceled();
    };

    /// <summary>Logs the fit; refuses scores that carry no information and warns about separated data.</summary>
    public static void Report(ComponentChannel channel, TemperatureFit fit, long rows, string scoreColumnName, string labelColumnName)
    {
        if (fit.Kind == TemperatureFitKind.NoInformation)
        {
            throw new InvalidOperationException(
                $"The log-likelihood of the fit data is best at an infinite temperature (uniform probabilities): its derivative in 1/T " +
                $"at 1/T = 0 is {fit.DerivativeAtInfinity:G6} per row, not negative, so the scores in '{scoreColumnName}' carry no information about " +
                $"'{labelColumnName}' (or rank it backwards). Check that the columns are the ones intended and that the scores come from a trained model.");
        }
        if (fit.Kind == TemperatureFitKind.Separated)
        {
            channel.Warning($"The scores in '{scoreColumnName}' separate the labels of the fit data: the log-likelihood keeps improving as the " +
                $"temperature falls to 0, and T = {fit.Temperature:G6} is where it stops changing in double precision (calibrated probabilities of " +
                "0 or 1). Fit the calibrator on held-out data instead.");
        }
        channel.Info($"Temperature T = {fit.Temperature:G6} on {rows} rows: log-loss {fit.LogLossBefore:0.######} -> " +
            $"{fit.LogLossAfter:0.######} ({fit.Evaluations} passes).");
    }
}
