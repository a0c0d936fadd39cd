using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNetExt.Calibration.Fitting;
using MLNetExt.Diagnostics;
using MLNetExt.Numerics;

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
/// precision; T is searched in [1e-4, 1e4].
/// </remarks>
public sealed class BinaryTemperatureScalingEstimator : BinaryCalibratorEstimator<BinaryTemperatureScalingTransformer>
{
    internal const string ComponentName = "BinaryTemperatureScaling";
    private readonly Options _options;

    /// <summary>Options of <see cref="BinaryTemperatureScalingEstimator"/>: the columns (see <see cref="BinaryCalibratorOptions"/>).</summary>
    public sealed class Options : BinaryCalibratorOptions
    {
    }

    internal BinaryTemperatureScalingEstimator(IHostEnvironment env, Options options) : base(env, options, ComponentName)
        => _options = options;

    private protected override BinaryTemperatureScalingTransformer FitCore(ComponentChannel channel, double[] scores, bool[] labels)
    {
        var logits = new double[scores.Length];
        for (int i = 0; i < scores.Length; i++)
            logits[i] = ScoreMath.ToLogit(scores[i], _options.ScoreKind, _options.ProbabilityFloor);
        var fit = TemperatureFitter.FitBinary(logits, labels);
        TemperatureScalingSupport.Report(channel, fit, labels.Length, _options.ScoreColumnName, _options.LabelColumnName);
        return new BinaryTemperatureScalingTransformer(_options.ScoreColumnName, _options.OutputColumnName, _options.ScoreKind,
            _options.ProbabilityFloor, fit.Temperature);
    }
}

/// <summary>Reporting shared by the binary and multiclass temperature fits.</summary>
internal static class TemperatureScalingSupport
{
    /// <summary>Logs the fit, and refuses a fit whose optimum lies beyond the largest temperature.</summary>
    public static void Report(ComponentChannel channel, TemperatureFit fit, int rows, string scoreColumnName, string labelColumnName)
    {
        if (fit.Kind == ScalarMinimumKind.AtUpperBound)
        {
            throw new InvalidOperationException(
                $"The log-likelihood of the fit data keeps improving as the temperature grows past {TemperatureFitter.MaximumTemperature:G}: " +
                $"the scores in '{scoreColumnName}' carry no information about '{labelColumnName}' (or rank it backwards). " +
                "Check that the columns are the ones intended and that the scores come from a trained model.");
        }
        if (fit.Kind == ScalarMinimumKind.AtLowerBound)
        {
            channel.Warning($"The temperature reached its lower bound {TemperatureFitter.MinimumTemperature:G}: the fit data is " +
                "separated by the scores, so the likelihood favours ever sharper probabilities. Fit on held-out data instead.");
        }
        channel.Info($"Temperature T = {fit.Temperature:G6} on {rows} rows: log-loss {fit.LogLossBefore:0.######} -> " +
            $"{fit.LogLossAfter:0.######} ({fit.Evaluations} passes).");
    }
}
