namespace MLNetExt.Ranking;

/// <summary>
/// Options of <c>mlContext.Ranking.EvaluateRanking</c>: the cut-offs, the metric conventions and an optional query
/// weight column. Immutable (each property is checked when set), so the metrics can echo it.
/// </summary>
/// <remarks>Named differently from ML.NET's <c>Microsoft.ML.Data.RankingEvaluatorOptions</c> so that both namespaces can be
/// imported in one file.</remarks>
public sealed class RankingEvaluationOptions
{
    internal static class Defaults
    {
        public static readonly int[] TruncationLevels = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    }

    /// <summary>The largest cut-off accepted.</summary>
    public const int MaximumTruncationLevel = 100_000;

    private readonly int[] _truncationLevels = Defaults.TruncationLevels;
    private readonly System.Collections.ObjectModel.ReadOnlyCollection<int> _truncationLevelsView = Array.AsReadOnly(Defaults.TruncationLevels);
    private readonly int? _mapMrrErrTruncationLevel;
    private readonly RankingMetricOptions _metricOptions = RankingMetricOptions.Default;
    private readonly string? _queryWeightColumnName;

    /// <summary>The cut-offs k at which NDCG@k and DCG@k are reported, strictly increasing.</summary>
    /// <value>Each in [1, 100000]. Default 1, 2, ..., 10, as ML.NET 5.0.1's public <c>RankingEvaluatorOptions.DcgTruncationLevel</c>
    /// = 10 reports (checked at run time).</value>
    public IReadOnlyList<int> TruncationLevels
    {
        get => _truncationLevelsView;
        init
        {
            Guard.Option(value is not null && value.Count >= 1, nameof(TruncationLevels), "must hold at least one cut-off.");
            var levels = value.ToArray();
            for (int i = 0; i < levels.Length; i++)
            {
                Guard.Option(levels[i] >= 1 && levels[i] <= MaximumTruncationLevel, nameof(TruncationLevels),
                    $"must hold cut-offs in [1, {MaximumTruncationLevel}]; got {levels[i]}.");
                if (i > 0)
                {
                    Guard.Option(levels[i] > levels[i - 1], nameof(TruncationLevels),
                        $"must be strictly increasing; got {levels[i - 1]} before {levels[i]}.");
                }
            }
            _truncationLevels = levels;
            _truncationLevelsView = Array.AsReadOnly(levels);
        }
    }

    /// <summary>The cut-off k of MAP@k, MRR@k and ERR@k; null for the whole list.</summary>
    /// <value>Range [1, 100000], or null. Default null (the whole list; LightGBM's <c>map</c> takes its own <c>eval_at</c>).</value>
    public int? MapMrrErrTruncationLevel
    {
        get => _mapMrrErrTruncationLevel;
        init
        {
            Guard.Option(value is null || (value >= 1 && value <= MaximumTruncationLevel), nameof(MapMrrErrTruncationLevel),
                $"must be in [1, {MaximumTruncationLevel}] or null; got {value}.");
            _mapMrrErrTruncationLevel = value;
        }
    }

    /// <summary>The conventions: gain, discount, ties, IDCG = 0 policy, relevance threshold, ERR's largest grade.</summary>
    /// <value>Default <see cref="RankingMetricOptions.Default"/> (LightGBM's). <see cref="RankingMetricOptions.MLNet"/>
    /// reproduces <c>mlContext.Ranking.Evaluate</c>.</value>
    public RankingMetricOptions MetricOptions
    {
        get => _metricOptions;
        init => _metricOptions = Guard.NotNull(value, nameof(MetricOptions));
    }

    /// <summary>
    /// A column of query weights (Single or Double, finite, &gt;= 0) that must be constant within each query; null for
    /// weight 1 each. Means are then <c>sum w_q m_q / sum w_q</c>, as ML.NET and LightGBM weight queries.
    /// </summary>
    /// <value>Default null.</value>
    public string? QueryWeightColumnName
    {
        get => _queryWeightColumnName;
        init
        {
            Guard.Option(value is null || !string.IsNullOrWhiteSpace(value), nameof(QueryWeightColumnName), "must be null or a column name.");
            _queryWeightColumnName = value;
        }
    }

    internal int MaximumLevel => _truncationLevels[^1];

    internal ReadOnlySpan<int> Levels => _truncationLevels;

    /// <summary>The options on one line.</summary>
    public override string ToString()
        => $"NDCG/DCG at {string.Join(",", _truncationLevels)}; MAP/MRR/ERR at {(_mapMrrErrTruncationLevel?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "the whole list")}; " +
           $"{_metricOptions}{(_queryWeightColumnName is null ? "" : $"; query weights from '{_queryWeightColumnName}'")}";
}
