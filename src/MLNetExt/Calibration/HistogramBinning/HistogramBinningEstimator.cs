using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNetExt.Calibration.Fitting;
using MLNetExt.Calibration.Kernels;
using MLNetExt.Diagnostics;

namespace MLNetExt.Calibration;

/// <summary>
/// Fits a histogram-binning calibrator (Zadrozny and Elkan, ICML 2001): the fit scores are split into equal-mass
/// bins and each bin predicts the fraction of positive labels among its fit rows. Only the order of the scores
/// matters, so raw scores and probabilities give the same map.
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term>Learns from data</term><description>yes: bin thresholds and one probability per bin</description></item>
/// <item><term>Input</term><description>score: Single or Double; label: Boolean</description></item>
/// <item><term>Output</term><description>Single probability column (default "Probability")</description></item>
/// <item><term>Normalization / caching</term><description>not needed / the score column (4 bytes a row for Single) and the label bits are
/// held during the fit; the equal-mass edges are exact order statistics found by counting passes (no sort)</description></item>
/// <item><term>Package / native dependency</term><description>MLNetExt / none</description></item>
/// <item><term>Deterministic</term><description>yes</description></item>
/// </list>
/// The map is a step function: it can reach 0 or 1 exactly for bins with one class only (log-loss is then
/// unbounded on new data). Thresholds lie halfway between neighbouring chunks of the sorted fit scores, bins are
/// closed on the right, and tied scores never straddle two bins.
/// </remarks>
public sealed class HistogramBinningEstimator : BinaryCalibratorEstimator<HistogramBinningTransformer>
{
    internal const string ComponentName = "HistogramBinning";

    /// <summary>Options of <see cref="HistogramBinningEstimator"/>.</summary>
    public sealed class Options : BinaryCalibratorOptions
    {
        internal static class Defaults
        {
            public const int NumberOfBins = 10;
        }

        /// <summary>The number of equal-mass bins.</summary>
        /// <value>Range [1, 10000]. Default 10, as Zadrozny and Elkan (2001) and netcal's <c>HistogramBinning</c>.
        /// Fewer bins result when scores tie or the fit data has fewer rows than bins.</value>
        public int NumberOfBins = Defaults.NumberOfBins;

        internal override void Validate()
        {
            base.Validate();
            Guard.Option(NumberOfBins >= 1 && NumberOfBins <= 10_000, nameof(NumberOfBins), $"must be in [1, 10000]; got {NumberOfBins}.");
        }
    }

    internal HistogramBinningEstimator(IHostEnvironment env, Options options) : base(env, options, ComponentName)
    {
    }

    private protected override HistogramBinningTransformer FitCore<T, TW>(ComponentChannel channel, PredictionStore<T, TW> rows)
    {
        var options = (Options)CopiedOptions;
        var fit = HistogramBinningFitter.Fit(rows, options.NumberOfBins, TemperatureScalingSupport.OnPass(channel));
        if (fit.Counts.Length < options.NumberOfBins)
            channel.Info($"Histogram binning made {fit.Counts.Length} of the {options.NumberOfBins} bins asked for: tied scores (or too few rows) cannot be split further.");
        channel.Info($"Histogram binning on {rows.PositiveRows} rows: {fit.Counts.Length} bins, probabilities {string.Join(", ", fit.Probabilities.Select(p => p.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)))}.");
        return new HistogramBinningTransformer(options.ScoreColumnName, options.OutputColumnName, options.ScoreKind,
            options.ProbabilityFloor, options.OutputKind, fit.Thresholds, fit.Probabilities, fit.Counts);
    }
}
