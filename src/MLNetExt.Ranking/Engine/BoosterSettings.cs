using System.Globalization;
using System.Text;

namespace MLNetExt.Ranking.Engine;

/// <summary>
/// The tree-growing settings passed to LightGBM (its parameter names in brackets). Defaults are LightGBM's
/// (<c>include/LightGBM/config.h</c>, 4.6.0) unless stated.
/// </summary>
internal sealed record BoosterSettings
{
    /// <summary>Leaves per tree [num_leaves]. Default 31.</summary>
    public int NumberOfLeaves { get; init; } = 31;

    /// <summary>Shrinkage [learning_rate]. Default 0.1.</summary>
    public double LearningRate { get; init; } = 0.1;

    /// <summary>Least rows per leaf [min_data_in_leaf]. Default 20.</summary>
    public int MinimumExampleCountPerLeaf { get; init; } = 20;

    /// <summary>Least hessian sum per leaf [min_sum_hessian_in_leaf]. Default 1e-3.</summary>
    public double MinimumHessianPerLeaf { get; init; } = 1e-3;

    /// <summary>L2 regularisation of leaf values [lambda_l2]. Default 0.</summary>
    public double L2Regularization { get; init; }

    /// <summary>L1 regularisation of leaf values [lambda_l1]. Default 0.</summary>
    public double L1Regularization { get; init; }

    /// <summary>Least gain to split [min_gain_to_split]. Default 0.</summary>
    public double MinimumSplitGain { get; init; }

    /// <summary>Tree depth limit, -1 = none [max_depth]. Default -1.</summary>
    public int MaximumDepth { get; init; } = -1;

    /// <summary>Bins per feature [max_bin]. Default 255.</summary>
    public int MaximumBinCountPerFeature { get; init; } = 255;

    /// <summary>Rows sampled to find bin boundaries [bin_construct_sample_cnt]. Default 200,000.</summary>
    public int BinConstructionSampleCount { get; init; } = 200_000;

    /// <summary>Fraction of features tried per tree [feature_fraction]. Default 1.</summary>
    public double FeatureFraction { get; init; } = 1.0;

    /// <summary>Fraction of rows used per bagging round [bagging_fraction]. Default 1 (no bagging).</summary>
    public double BaggingFraction { get; init; } = 1.0;

    /// <summary>Re-draw the bag every k iterations, 0 = never [bagging_freq]. Default 0.</summary>
    public int BaggingFrequency { get; init; }

    /// <summary>Bag whole queries instead of rows [bagging_by_query]. Default false.</summary>
    public bool BaggingByQuery { get; init; }

    /// <summary>The one seed; LightGBM derives its data, bagging and feature-fraction seeds from it [seed]. Default 0.</summary>
    public int Seed { get; init; }

    /// <summary>Threads for LightGBM and for the objective; null = the processor count [num_threads].</summary>
    public int? NumberOfThreads { get; init; }

    /// <summary>
    /// Histogram layout. LightGBM picks row- or column-wise by timing both at the first iteration, which can differ
    /// between runs; we fix it [force_row_wise / force_col_wise]. Default <see cref="HistogramLayout.ColumnWise"/>
    /// (our choice; on the 10,000-query x 136-feature timing set the two layouts were within run-to-run noise on a
    /// shared 2-core machine, so the bench should settle it).
    /// </summary>
    public HistogramLayout Layout { get; init; } = HistogramLayout.ColumnWise;

    /// <summary>LightGBM's log level [verbosity]: -1 fatal only, 0 warnings, 1 info, 2 debug. Default 0 (our choice).</summary>
    public int Verbosity { get; init; }

    /// <summary>Threads actually used.</summary>
    public int EffectiveThreads => NumberOfThreads ?? Environment.ProcessorCount;

    /// <summary>Checks every setting; throws <see cref="ArgumentOutOfRangeException"/> naming it.</summary>
    public void Validate()
    {
        Guard.Option(NumberOfLeaves >= 2 && NumberOfLeaves <= 131072, nameof(NumberOfLeaves), $"must be in [2, 131072]; got {NumberOfLeaves}.");
        Guard.Option(LearningRate > 0 && double.IsFinite(LearningRate), nameof(LearningRate), $"must be positive and finite; got {LearningRate}.");
        Guard.Option(MinimumExampleCountPerLeaf >= 1, nameof(MinimumExampleCountPerLeaf), $"must be at least 1; got {MinimumExampleCountPerLeaf}.");
        Guard.Option(MinimumHessianPerLeaf >= 0 && double.IsFinite(MinimumHessianPerLeaf), nameof(MinimumHessianPerLeaf), $"must be finite and non-negative; got {MinimumHessianPerLeaf}.");
        Guard.Option(L2Regularization >= 0 && double.IsFinite(L2Regularization), nameof(L2Regularization), $"must be finite and non-negative; got {L2Regularization}.");
        Guard.Option(L1Regularization >= 0 && double.IsFinite(L1Regularization), nameof(L1Regularization), $"must be finite and non-negative; got {L1Regularization}.");
        Guard.Option(MinimumSplitGain >= 0 && double.IsFinite(MinimumSplitGain), nameof(MinimumSplitGain), $"must be finite and non-negative; got {MinimumSplitGain}.");
        Guard.Option(MaximumDepth == -1 || MaximumDepth >= 1, nameof(MaximumDepth), $"must be -1 (no limit) or at least 1; got {MaximumDepth}.");
        Guard.Option(MaximumBinCountPerFeature >= 2, nameof(MaximumBinCountPerFeature), $"must be at least 2; got {MaximumBinCountPerFeature}.");
        Guard.Option(BinConstructionSampleCount >= 1, nameof(BinConstructionSampleCount), $"must be at least 1; got {BinConstructionSampleCount}.");
        Guard.Option(FeatureFraction > 0 && FeatureFraction <= 1, nameof(FeatureFraction), $"must be in (0, 1]; got {FeatureFraction}.");
        Guard.Option(BaggingFraction > 0 && BaggingFraction <= 1, nameof(BaggingFraction), $"must be in (0, 1]; got {BaggingFraction}.");
        Guard.Option(BaggingFrequency >= 0, nameof(BaggingFrequency), $"must be non-negative; got {BaggingFrequency}.");
        Guard.Option(NumberOfThreads is null || NumberOfThreads >= 1, nameof(NumberOfThreads), $"must be at least 1 when set; got {NumberOfThreads}.");
        Guard.Option(Verbosity >= -1 && Verbosity <= 2, nameof(Verbosity), $"must be in [-1, 2]; got {Verbosity}.");
    }

    /// <summary>
    /// The parameters that affect binning and the dataset (LightGBM checks that a booster's dataset was built with
    /// compatible ones), as a LightGBM parameter string.
    /// </summary>
    public string DatasetParameters()
    {
        var sb = new StringBuilder();
        Append(sb, "max_bin", MaximumBinCountPerFeature);
        Append(sb, "bin_construct_sample_cnt", BinConstructionSampleCount);
        Append(sb, "min_data_in_leaf", MinimumExampleCountPerLeaf);
        Append(sb, "seed", Seed);
        Append(sb, "num_threads", EffectiveThreads);
        Append(sb, "verbosity", Verbosity);
        return sb.ToString().TrimEnd();
    }

    /// <summary>
    /// The booster's parameter string: <paramref name="objective"/> ("none" for a C# objective, "lambdarank" for the
    /// native baseline) plus every setting, <c>deterministic=true</c> and no metric.
    /// </summary>
    public string BoosterParameters(string objective, string? extra = null)
    {
        var sb = new StringBuilder(DatasetParameters()).Append(' ');
        Append(sb, "objective", objective);
        Append(sb, "metric", "none");
        Append(sb, "num_leaves", NumberOfLeaves);
        Append(sb, "learning_rate", LearningRate);
        Append(sb, "min_sum_hessian_in_leaf", MinimumHessianPerLeaf);
        Append(sb, "lambda_l2", L2Regularization);
        Append(sb, "lambda_l1", L1Regularization);
        Append(sb, "min_gain_to_split", MinimumSplitGain);
        Append(sb, "max_depth", MaximumDepth);
        Append(sb, "feature_fraction", FeatureFraction);
        Append(sb, "bagging_fraction", BaggingFraction);
        Append(sb, "bagging_freq", BaggingFrequency);
        Append(sb, "bagging_by_query", BaggingByQuery);
        Append(sb, "deterministic", true);
        Append(sb, Layout == HistogramLayout.RowWise ? "force_row_wise" : "force_col_wise", true);
        if (!string.IsNullOrWhiteSpace(extra))
            sb.Append(extra).Append(' ');
        return sb.ToString().TrimEnd();
    }

    internal static void Append(StringBuilder sb, string key, object value)
    {
        string text = value switch
        {
            bool b => b ? "true" : "false",
            double d => d.ToString("R", CultureInfo.InvariantCulture),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "",
        };
        sb.Append(key).Append('=').Append(text).Append(' ');
    }
}

/// <summary>How LightGBM lays out its histograms (see <see cref="BoosterSettings.Layout"/>).</summary>
internal enum HistogramLayout
{
    /// <summary>force_col_wise=true.</summary>
    ColumnWise,

    /// <summary>force_row_wise=true.</summary>
    RowWise,
}
