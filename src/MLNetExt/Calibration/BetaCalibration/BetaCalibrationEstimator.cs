using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNetExt.Calibration.Fitting;
using MLNetExt.Calibration.Kernels;
using MLNetExt.Diagnostics;

namespace MLNetExt.Calibration;

/// <summary>
/// Fits a beta calibration map (Kull, Silva Filho and Flach, AISTATS 2017) from a binary score to a probability:
/// <c>P(y = 1 | s) = sigmoid(a ln s - b ln(1 - s) + c)</c> with a, b &gt;= 0. For raw scores, s = sigmoid(score).
/// With a = b it is Platt scaling of the logit; unlike Platt scaling it can also correct scores that are
/// over-confident at one end and under-confident at the other.
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term>Learns from data</term><description>yes: three parameters, from a Boolean label and a score</description></item>
/// <item><term>Input</term><description>score: Single or Double (raw score or probability, see <see cref="ScoreKind"/>); label: Boolean</description></item>
/// <item><term>Output</term><description>Single probability column (default "Probability")</description></item>
/// <item><term>Normalization / caching</term><description>not needed / the score column (4 bytes a row for Single) and the label bits are
/// held during the fit; one parallel pass over them per Newton step</description></item>
/// <item><term>Package / native dependency</term><description>MLNetExt / none</description></item>
/// <item><term>Deterministic</term><description>yes (no randomness)</description></item>
/// </list>
/// The fit is a logistic regression on <c>[ln s, -ln(1 - s)]</c> solved by Newton's method; a negative slope drops
/// its feature and the model is refitted, as the authors' <c>betacal</c> package does
/// (https://github.com/REFRAME/betacal, <c>python/betacal/beta_calibration.py</c>).
/// </remarks>
public sealed class BetaCalibrationEstimator : BinaryCalibratorEstimator<BetaCalibrationTransformer>
{
    internal const string ComponentName = "BetaCalibration";

    /// <summary>Options of <see cref="BetaCalibrationEstimator"/>: the columns (see <see cref="BinaryCalibratorOptions"/>).</summary>
    public sealed class Options : BinaryCalibratorOptions
    {
    }

    internal BetaCalibrationEstimator(IHostEnvironment env, Options options) : base(env, options, ComponentName)
    {
    }

    private protected override BetaCalibrationTransformer FitCore<T, TW>(ComponentChannel channel, PredictionStore<T, TW> rows)
    {
        var options = CopiedOptions;
        var fit = BetaCalibrationFitter.Fit(rows, options.ScoreKind, options.ProbabilityFloor, TemperatureScalingSupport.OnPass(channel));
        if (fit.DroppedA && fit.DroppedB)
            channel.Warning("Both beta-calibration slopes were negative: the scores rank the labels backwards, so the map is the constant base rate.");
        else if (fit.DroppedA || fit.DroppedB)
            channel.Info($"The fitted slope {(fit.DroppedA ? "a" : "b")} was negative; its feature was dropped and the model refitted (betacal's rule).");
        if (!fit.Converged)
            channel.Warning("The beta-calibration logistic regression stopped before converging (the fit data may be separable by the score).");
        channel.Info($"Beta calibration on {rows.PositiveRows} rows: a = {fit.A:G6}, b = {fit.B:G6}, c = {fit.C:G6}.");
        return new BetaCalibrationTransformer(options.ScoreColumnName, options.OutputColumnName, options.ScoreKind,
            options.ProbabilityFloor, options.OutputKind, fit.A, fit.B, fit.C);
    }
}
