namespace MLNetExt.Ranking;

/// <summary>How documents with equal scores are ordered before a ranking metric is computed.</summary>
public enum RankingTieRule
{
    /// <summary>
    /// Equal scores keep their input order (the first listed document ranks higher): LightGBM's <c>std::stable_sort</c>
    /// in <c>DCGCalculator::CalDCG</c> and its <c>map</c> metric. The default.
    /// </summary>
    Stable,

    /// <summary>
    /// Equal scores are ordered lowest label first, then by input order: ML.NET's ranking evaluator and FastTree's
    /// default <c>DescendingStablePessimistic</c> sort. A tie can only lower the metric.
    /// </summary>
    Pessimistic,

    /// <summary>Equal scores are ordered highest label first, then by input order. A tie can only raise the metric.</summary>
    Optimistic,

    /// <summary>
    /// The expected metric over a uniformly random order within each group of equal scores (McSherry and Najork,
    /// ECIR 2008). For DCG and NDCG this is scikit-learn's <c>dcg_score</c>/<c>ndcg_score</c> (with <c>y_true</c> set to
    /// the gains); average precision, reciprocal rank and ERR are the exact expectations too.
    /// </summary>
    Averaged,
}

/// <summary>What NDCG (and average precision) is for a query whose ideal DCG is 0 (no document has a gain).</summary>
public enum IdcgZeroPolicy
{
    /// <summary>
    /// The query counts as 1: LightGBM's <c>ndcg</c> and <c>map</c> metrics, XGBoost's <c>ndcg</c>, allRank's metric. The
    /// default. With query weights it counts as its weight times 1 (LightGBM's <c>ndcg</c> adds an unweighted 1 for
    /// such a query while dividing by the sum of weights; <c>rank_metric.hpp</c> @bae0b7b).
    /// </summary>
    One,

    /// <summary>The query counts as 0: ML.NET's ranking evaluator, scikit-learn's <c>ndcg_score</c>, XGBoost's <c>ndcg-</c>.</summary>
    Zero,

    /// <summary>The query is left out of the mean; its own value is <see cref="double.NaN"/>.</summary>
    Exclude,
}

/// <summary>The position discount of DCG.</summary>
public enum RankingDiscount
{
    /// <summary><c>1 / log2(rank + 1)</c>: LightGBM, XGBoost, scikit-learn, allRank. The default.</summary>
    Log2,

    /// <summary>
    /// <c>1 / ln(rank + 1)</c>: ML.NET's ranking evaluator. NDCG is the same as with <see cref="Log2"/> (the factor
    /// 1 / ln 2 cancels); DCG is 1 / ln 2 = 1.4427 times larger.
    /// </summary>
    NaturalLog,
}

/// <summary>The gain of a relevance label in DCG: exponential <c>2^l - 1</c>, linear <c>l</c>, or a table indexed by label.</summary>
public sealed class RankingGain
{
    private readonly double[]? _table;

    private RankingGain(RankingGainKind kind, double[]? table)
    {
        Kind = kind;
        _table = table;
        // Whole-number labels below RankingKernels.CountedLabels in decreasing gain (label descending among equal
        // gains), for the counting path of the ideal DCG; empty for a table too long to count.
        int count = table?.Length ?? RankingKernels.CountedLabels;
        if (count <= RankingKernels.CountedLabels)
        {
            var labels = Enumerable.Range(0, count).Reverse().ToArray();
            var keys = labels.Select(l => -Of(l)).ToArray();
            Array.Sort(keys, labels); // introsort: equal gains may swap, which changes no sum
            LabelsByDecreasingGain = labels;
        }
        else
        {
            LabelsByDecreasingGain = [];
        }
    }

    internal int[] LabelsByDecreasingGain { get; }

    /// <summary><c>G(l) = 2^l - 1</c> (LightGBM's default <c>label_gain</c>, XGBoost's <c>ndcg_exp_gain</c>, allRank's
    /// <c>powered_relevancies</c>). Fractional labels are allowed.</summary>
    public static RankingGain Exponential { get; } = new(RankingGainKind.Exponential, null);

    /// <summary><c>G(l) = l</c> (scikit-learn's <c>ndcg_score</c> on raw labels, CatBoost's <c>dcg_type=Base</c>).</summary>
    public static RankingGain Linear { get; } = new(RankingGainKind.Linear, null);

    /// <summary>ML.NET's default label gains 0, 3, 7, 15, 31 (labels 0 to 4).</summary>
    public static RankingGain MLNetDefault { get; } = Table(0, 3, 7, 15, 31);

    /// <summary>
    /// <c>G(l) = gains[l]</c> for whole-number labels 0..gains.Length - 1 (ML.NET's <c>LabelGains</c>, LightGBM's
    /// <c>label_gain</c>). A fractional label or one beyond the table is an error naming it.
    /// </summary>
    /// <param name="gains">At least one gain; each finite and &gt;= 0. Copied.</param>
    public static RankingGain Table(params double[] gains)
    {
        Guard.NotNull(gains, nameof(gains));
        Guard.Argument(gains.Length >= 1, nameof(gains), "A gain table needs at least one entry (the gain of label 0).");
        for (int i = 0; i < gains.Length; i++)
        {
            Guard.Argument(double.IsFinite(gains[i]) && gains[i] >= 0, nameof(gains),
                $"Gain of label {i} must be a finite number >= 0; got {gains[i]}.");
        }
        return new RankingGain(RankingGainKind.Table, (double[])gains.Clone());
    }

    /// <summary>Which rule this is.</summary>
    public RankingGainKind Kind { get; }

    /// <summary>The table of a <see cref="RankingGainKind.Table"/> gain (gain of label l at index l); empty otherwise.</summary>
    public IReadOnlyList<double> Gains => _table ?? [];

    internal double[]? TableOrNull => _table;

    /// <summary>"exponential 2^l - 1", "linear l", or "table [0, 3, 7, 15, 31]".</summary>
    public override string ToString() => Kind switch
    {
        RankingGainKind.Exponential => "exponential 2^l - 1",
        RankingGainKind.Linear => "linear l",
        _ => "table [" + string.Join(", ", _table!.Select(g => g.ToString("R", System.Globalization.CultureInfo.InvariantCulture))) + "]",
    };

    /// <summary>The gain of <paramref name="label"/>; the label was checked (finite, &gt;= 0, and for a table a whole
    /// number inside it).</summary>
    internal double Of(float label) => Kind switch
    {
        RankingGainKind.Exponential => ExponentialGain(label),
        RankingGainKind.Linear => label,
        _ => _table![(int)label],
    };

    private static double ExponentialGain(float label)
    {
        int whole = (int)label;
        if (whole == label && whole < 63)
            return (double)((1L << whole) - 1);
        return Math.Pow(2, label) - 1;
    }

    /// <summary>The largest label whose exponential gain is finite.</summary>
    internal const float MaximumExponentialLabel = 1023;
}

/// <summary>The kinds of <see cref="RankingGain"/>.</summary>
public enum RankingGainKind
{
    /// <summary><c>2^l - 1</c>.</summary>
    Exponential,

    /// <summary><c>l</c>.</summary>
    Linear,

    /// <summary>A table indexed by whole-number label.</summary>
    Table,
}

/// <summary>
/// The conventions of <see cref="RankingMeasures"/> and of <c>EvaluateRanking</c>: gain, discount, tie rule, what a query
/// without relevant documents counts as, the relevance threshold of the binary measures and ERR's maximum grade.
/// Immutable; each property is checked when it is set, with a message naming it.
/// </summary>
/// <remarks>
/// <list type="table">
/// <listheader><term>Convention</term><description>Default (and the alternatives)</description></listheader>
/// <item><term><see cref="Gain"/></term><description><c>2^l - 1</c>; linear <c>l</c>; a table indexed by label (ML.NET: 0, 3, 7, 15, 31)</description></item>
/// <item><term><see cref="Discount"/></term><description><c>1 / log2(rank + 1)</c>, rank 1-based; natural log as ML.NET</description></item>
/// <item><term>Cut-off k</term><description>capped at the list length; the ideal DCG is cut at the same k</description></item>
/// <item><term><see cref="TieRule"/></term><description>stable (input order); pessimistic, optimistic, averaged</description></item>
/// <item><term><see cref="IdcgZeroPolicy"/></term><description>NDCG = 1 when IDCG = 0 (LightGBM); 0 (ML.NET, scikit-learn); excluded</description></item>
/// <item><term><see cref="RelevanceThreshold"/></term><description>relevant = label &gt; 0; or label &gt;= t</description></item>
/// <item><term><see cref="ErrMaximumLabel"/></term><description>the largest label in the data; or stated</description></item>
/// </list>
/// </remarks>
public sealed class RankingMetricOptions
{
    private readonly RankingGain _gain = RankingGain.Exponential;
    private readonly RankingDiscount _discount = RankingDiscount.Log2;
    private readonly RankingTieRule _tieRule = RankingTieRule.Stable;
    private readonly IdcgZeroPolicy _idcgZeroPolicy = IdcgZeroPolicy.One;
    private readonly double? _relevanceThreshold;
    private readonly double? _errMaximumLabel;

    /// <summary>The defaults: gain 2^l - 1, log2 discount, stable ties, IDCG = 0 counted as 1 (LightGBM's <c>ndcg</c> metric).</summary>
    public static RankingMetricOptions Default { get; } = new();

    /// <summary>LightGBM's <c>ndcg</c>/<c>map</c> conventions; the same as <see cref="Default"/> (MAP's relevance there is label &gt; 0.5,
    /// the same as label &gt; 0 for whole-number labels).</summary>
    public static RankingMetricOptions LightGbm => Default;

    /// <summary>
    /// ML.NET's <c>mlContext.Ranking.Evaluate</c>: gains 0, 3, 7, 15, 31, natural-log discount, pessimistic ties, IDCG = 0
    /// counted as 0. NDCG and DCG then equal ML.NET's (ML.NET truncates fractional labels, this preset rejects them).
    /// </summary>
    public static RankingMetricOptions MLNet { get; } = new()
    {
        Gain = RankingGain.MLNetDefault,
        Discount = RankingDiscount.NaturalLog,
        TieRule = RankingTieRule.Pessimistic,
        IdcgZeroPolicy = IdcgZeroPolicy.Zero,
    };

    /// <summary>scikit-learn's <c>ndcg_score</c> on raw labels: linear gain, averaged ties, IDCG = 0 counted as 0.</summary>
    public static RankingMetricOptions ScikitLearn { get; } = new()
    {
        Gain = RankingGain.Linear,
        TieRule = RankingTieRule.Averaged,
        IdcgZeroPolicy = IdcgZeroPolicy.Zero,
    };

    /// <summary>The gain of a label in DCG.</summary>
    /// <value>Default <see cref="RankingGain.Exponential"/> (<c>2^l - 1</c>), as LightGBM, XGBoost and allRank.</value>
    public RankingGain Gain
    {
        get => _gain;
        init => _gain = Guard.NotNull(value, nameof(Gain));
    }

    /// <summary>The position discount of DCG.</summary>
    /// <value>Default <see cref="RankingDiscount.Log2"/>: <c>1 / log2(rank + 1)</c>.</value>
    public RankingDiscount Discount
    {
        get => _discount;
        init
        {
            Guard.Option(Enum.IsDefined(value), nameof(Discount), $"has the unknown value {(int)value}.");
            _discount = value;
        }
    }

    /// <summary>How equal scores are ordered.</summary>
    /// <value>Default <see cref="RankingTieRule.Stable"/> (input order), as LightGBM.</value>
    public RankingTieRule TieRule
    {
        get => _tieRule;
        init
        {
            Guard.Option(Enum.IsDefined(value), nameof(TieRule), $"has the unknown value {(int)value}.");
            _tieRule = value;
        }
    }

    /// <summary>
    /// What NDCG is for a query whose ideal DCG is 0 (every gain 0), and what average precision is for a query
    /// without a relevant document.
    /// </summary>
    /// <value>Default <see cref="IdcgZeroPolicy.One"/>, as LightGBM's <c>ndcg</c> and <c>map</c> metrics.</value>
    public IdcgZeroPolicy IdcgZeroPolicy
    {
        get => _idcgZeroPolicy;
        init
        {
            Guard.Option(Enum.IsDefined(value), nameof(IdcgZeroPolicy), $"has the unknown value {(int)value}.");
            _idcgZeroPolicy = value;
        }
    }

    /// <summary>
    /// The relevance rule of average precision and reciprocal rank: null means a document is relevant when its label
    /// is &gt; 0; a number t means label &gt;= t.
    /// </summary>
    /// <value>Range (0, inf), or null. Default null (label &gt; 0).</value>
    public double? RelevanceThreshold
    {
        get => _relevanceThreshold;
        init
        {
            Guard.Option(value is null || (double.IsFinite(value.Value) && value.Value > 0), nameof(RelevanceThreshold),
                $"must be a finite number > 0 (or null for label > 0); got {value}.");
            _relevanceThreshold = value;
        }
    }

    /// <summary>
    /// The largest grade L of ERR, whose stopping probability is <c>R(l) = (2^l - 1) / 2^L</c> (Chapelle et al. 2009).
    /// Null means the largest label in the data: over all queries for <c>Mean</c> and <c>EvaluateRanking</c>, the
    /// query's own largest label for a one-query call. A label above a stated L is an error.
    /// </summary>
    /// <value>Range [0, 1023], or null. Default null.</value>
    public double? ErrMaximumLabel
    {
        get => _errMaximumLabel;
        init
        {
            Guard.Option(value is null || (value.Value >= 0 && value.Value <= RankingGain.MaximumExponentialLabel), nameof(ErrMaximumLabel),
                $"must be in [0, {RankingGain.MaximumExponentialLabel}] (or null for the largest label in the data); got {value}.");
            _errMaximumLabel = value;
        }
    }

    /// <summary>Whether <paramref name="label"/> is relevant for average precision and reciprocal rank.</summary>
    internal bool IsRelevant(float label) => _relevanceThreshold is { } t ? label >= t : label > 0;

    /// <summary>The conventions on one line, for logs and <c>ToString</c> of results.</summary>
    public override string ToString()
        => $"gain {Gain}, discount {(Discount == RankingDiscount.Log2 ? "1/log2(rank+1)" : "1/ln(rank+1)")}, ties {TieRule}, " +
           $"IDCG = 0 -> {IdcgZeroPolicy}, relevant: {(RelevanceThreshold is { } t ? $"label >= {t}" : "label > 0")}, " +
           $"ERR maximum label: {(ErrMaximumLabel is { } l ? l.ToString(System.Globalization.CultureInfo.InvariantCulture) : "largest in data")}";
}
