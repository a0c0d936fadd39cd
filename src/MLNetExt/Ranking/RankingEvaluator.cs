using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetExt.Data;
using MLNetExt.Diagnostics;

namespace MLNetExt.Ranking;

/// <summary>
/// Reads scored ranking data in one pass, groups it into queries, skips (and counts) rows whose score is NaN, and scores
/// every query with <see cref="RankingKernels"/> in one sort per query, in parallel over queries.
/// </summary>
internal static class RankingEvaluator
{
    internal const string ComponentName = "EvaluateRanking";

    /// <summary>Rows per parallel work item, roughly.</summary>
    private const int RowsPerChunk = 16_384;

    public static RankingEvaluationMetrics Evaluate(IHostEnvironment env, IDataView data, string labelColumnName, string scoreColumnName,
        string rowGroupColumnName, RankingEvaluationOptions? options)
    {
        Guard.NotNull(data, nameof(data));
        Guard.ColumnName(labelColumnName, nameof(labelColumnName));
        Guard.ColumnName(scoreColumnName, nameof(scoreColumnName));
        Guard.ColumnName(rowGroupColumnName, nameof(rowGroupColumnName));
        options ??= new RankingEvaluationOptions();
        var conventions = options.MetricOptions;

        using var channel = new ComponentChannel(env, ComponentName, "Evaluate");
        var reader = new DataViewColumnReader(data, ComponentName);
        var label = reader.AddRelevanceLabel(labelColumnName, "label");
        var scoreType = SchemaChecks.Find(data.Schema, scoreColumnName, "score").Type;
        if (scoreType != NumberDataViewType.Single && scoreType != NumberDataViewType.Double)
            throw SchemaChecks.Mismatch("score", scoreColumnName, "Single or Double", scoreType);
        // Typed reads where the type allows (no conversion per value): a Single or Double score (NaN is allowed: such
        // rows are skipped below), and a UInt32 key group (ML.NET's usual GroupId), checked for missing keys below.
        var floatScore = scoreType == NumberDataViewType.Single ? reader.AddColumn<float>(scoreColumnName, "score") : null;
        var doubleScore = floatScore is null ? reader.AddColumn<double>(scoreColumnName, "score") : null;
        bool uintKeyGroup = SchemaChecks.Find(data.Schema, rowGroupColumnName, "group").Type is KeyDataViewType { RawType: var raw } && raw == typeof(uint);
        var keyGroup = uintKeyGroup ? reader.AddColumn<uint>(rowGroupColumnName, "group") : null;
        var group = uintKeyGroup ? null : reader.AddId(rowGroupColumnName, "group");
        ScalarColumn? weight = null;
        if (options.QueryWeightColumnName is { } weightColumnName)
        {
            var weightType = SchemaChecks.Find(data.Schema, weightColumnName, "query weight").Type;
            if (weightType != NumberDataViewType.Single && weightType != NumberDataViewType.Double)
                throw SchemaChecks.Mismatch("query weight", weightColumnName, "Single or Double", weightType);
            weight = reader.AddScalar(weightColumnName, "query weight", ValueRule.NonNegative);
        }
        reader.Read(channel);

        var groups = GroupBoundaries.FromRuns(group?.Values ?? KeyGroupIds(keyGroup!.Values, rowGroupColumnName), rowGroupColumnName);
        CheckLabels(label.Values, labelColumnName, conventions);
        var queryWeights = weight is null ? null : QueryWeights(weight.Values, groups, options.QueryWeightColumnName!, rowGroupColumnName);

        var kept = floatScore is not null
            ? DropNaNScores<float>(label.Values, floatScore.Values, groups, queryWeights)
            : DropNaNScores<double>(label.Values, doubleScore!.Values, groups, queryWeights);
        if (kept.SkippedRows > 0)
        {
            channel.Warning($"Skipped {kept.SkippedRows} of {reader.RowCount} rows whose score in '{scoreColumnName}' is NaN" +
                (kept.SkippedQueries > 0 ? $"; {kept.SkippedQueries} queries had no other row and are left out." : "."));
        }
        var stats = RankingGroupStatistics.Compute(kept.Labels, kept.Offsets, kept.GroupIds);
        // The counts are in the metrics; the log only traces them (an evaluator is not the place to warn about the data).
        foreach (string? line in new[] { stats.DescribeSingleDocumentGroups(), stats.DescribeAllEqualLabelGroups() })
        {
            if (line is not null)
                channel.Trace(line + ": every order gives them the same value.");
        }
        double errMaximum = conventions.ErrMaximumLabel ?? RankingKernels.MaximumLabel(kept.Labels);

        var results = ScoreQueries(kept, options, errMaximum);
        var metrics = Summarize(kept, options, errMaximum, results, stats);
        channel.Trace($"Ranking evaluation of {metrics.QueryCount} queries: NDCG@{options.MaximumLevel} {metrics.GetNdcg(options.MaximumLevel):0.000000}.");
        return metrics;
    }

    /// <summary>Key values as identifiers; a missing key (0) is an error naming the row, as <see cref="IdColumn"/> reports it.</summary>
    private static long[] KeyGroupIds(uint[] keys, string columnName)
    {
        var ids = new long[keys.Length];
        for (int row = 0; row < keys.Length; row++)
        {
            if (keys[row] == 0)
                throw new InvalidOperationException($"Group column '{columnName}' has a missing key value at row {row}; {ComponentName} expects a defined group.");
            ids[row] = keys[row];
        }
        return ids;
    }

    /// <summary>Checks the labels against the gain (a table needs whole numbers inside it) and a stated ERR grade, naming the row.</summary>
    private static void CheckLabels(float[] labels, string columnName, RankingMetricOptions conventions)
    {
        var gain = conventions.Gain;
        double? errMaximum = conventions.ErrMaximumLabel;
        for (int row = 0; row < labels.Length; row++)
        {
            float l = labels[row];
            if (gain.Kind == RankingGainKind.Table && (l != MathF.Floor(l) || l >= gain.TableOrNull!.Length))
            {
                throw new InvalidOperationException(
                    $"Label column '{columnName}' has {RankingKernels.Format(l)} at row {row}; the gain table {gain} of " +
                    $"{nameof(RankingMetricOptions)}.{nameof(RankingMetricOptions.Gain)} needs whole-number labels 0..{gain.TableOrNull!.Length - 1}.");
            }
            if (gain.Kind == RankingGainKind.Exponential && l > RankingGain.MaximumExponentialLabel)
            {
                throw new InvalidOperationException(
                    $"Label column '{columnName}' has {RankingKernels.Format(l)} at row {row}; the exponential gain 2^l - 1 overflows above " +
                    $"{RankingGain.MaximumExponentialLabel}. Use a linear gain or a gain table.");
            }
            if (errMaximum is { } m && l > m)
            {
                throw new InvalidOperationException(
                    $"Label column '{columnName}' has {RankingKernels.Format(l)} at row {row}, above " +
                    $"{nameof(RankingMetricOptions)}.{nameof(RankingMetricOptions.ErrMaximumLabel)} = {RankingKernels.Format(m)}.");
            }
        }
    }

    /// <summary>One weight per query; the weight column must be constant within each query.</summary>
    private static double[] QueryWeights(double[] rowWeights, GroupBoundaries groups, string weightColumnName, string groupColumnName)
    {
        var weights = new double[groups.Count];
        for (int g = 0; g < groups.Count; g++)
        {
            int start = groups.Offsets[g], end = groups.Offsets[g + 1];
            double w = rowWeights[start];
            for (int row = start + 1; row < end; row++)
            {
                if (rowWeights[row] != w)
                {
                    throw new InvalidOperationException(
                        $"Query weight column '{weightColumnName}' must be constant within each query, but query {groups.Ids[g]} of " +
                        $"'{groupColumnName}' (rows {start}-{end - 1}) has {RankingKernels.Format(w)} at row {start} and " +
                        $"{RankingKernels.Format(rowWeights[row])} at row {row}.");
                }
            }
            weights[g] = w;
        }
        return weights;
    }

    /// <summary>The evaluated rows and queries after rows with a NaN score are dropped.</summary>
    internal sealed class KeptData
    {
        public required float[] Labels { get; init; }
        /// <summary>Single scores (as read), or null when <see cref="DoubleScores"/> holds them.</summary>
        public float[]? FloatScores { get; init; }
        /// <summary>Double scores, or null when <see cref="FloatScores"/> holds them.</summary>
        public double[]? DoubleScores { get; init; }
        public required int[] Offsets { get; init; }
        public required long[] GroupIds { get; init; }
        public required int[] FirstRows { get; init; }
        public required int[] SkippedRowsPerQuery { get; init; }
        public required double[]? Weights { get; init; }
        public long SkippedRows { get; init; }
        public int SkippedQueries { get; init; }
        public int QueryCount => Offsets.Length - 1;
    }

    private static KeptData DropNaNScores<TScore>(float[] labels, TScore[] scores, GroupBoundaries groups, double[]? weights)
        where TScore : struct, System.Numerics.IFloatingPointIeee754<TScore>
    {
        long nan = 0;
        foreach (var s in scores)
            nan += TScore.IsNaN(s) ? 1 : 0;
        if (nan == 0)
        {
            return new KeptData
            {
                Labels = labels,
                FloatScores = scores as float[],
                DoubleScores = scores as double[],
                Offsets = groups.Offsets,
                GroupIds = groups.Ids,
                FirstRows = groups.Offsets[..^1],
                SkippedRowsPerQuery = new int[groups.Count],
                Weights = weights,
            };
        }
        var keptLabels = new float[labels.Length - nan];
        var keptScores = new TScore[labels.Length - nan];
        var offsets = new List<int> { 0 };
        var ids = new List<long>();
        var firstRows = new List<int>();
        var skippedPerQuery = new List<int>();
        var keptWeights = weights is null ? null : new List<double>();
        int skippedQueries = 0;
        int n = 0;
        for (int g = 0; g < groups.Count; g++)
        {
            int start = groups.Offsets[g], end = groups.Offsets[g + 1];
            int before = n;
            for (int row = start; row < end; row++)
            {
                if (TScore.IsNaN(scores[row]))
                    continue;
                keptLabels[n] = labels[row];
                keptScores[n] = scores[row];
                n++;
            }
            if (n == before)
            {
                skippedQueries++;
                continue;
            }
            offsets.Add(n);
            ids.Add(groups.Ids[g]);
            firstRows.Add(start);
            skippedPerQuery.Add(end - start - (n - before));
            keptWeights?.Add(weights![g]);
        }
        return new KeptData
        {
            Labels = keptLabels,
            FloatScores = keptScores as float[],
            DoubleScores = keptScores as double[],
            Offsets = offsets.ToArray(),
            GroupIds = ids.ToArray(),
            FirstRows = firstRows.ToArray(),
            SkippedRowsPerQuery = skippedPerQuery.ToArray(),
            Weights = keptWeights?.ToArray(),
            SkippedRows = nan,
            SkippedQueries = skippedQueries,
        };
    }

    /// <summary>Per-query values in flat arrays: NDCG and DCG at each level (row-major by query), AP, RR, ERR, IDCG = 0 flags.</summary>
    internal sealed class QueryValues(int queries, int levels)
    {
        public double[] Ndcg { get; } = new double[queries * levels];
        public double[] Dcg { get; } = new double[queries * levels];
        public double[] AveragePrecision { get; } = new double[queries];
        public double[] ReciprocalRank { get; } = new double[queries];
        public double[] ExpectedReciprocalRank { get; } = new double[queries];
        public bool[] IdcgZero { get; } = new bool[queries];
        public bool[] NoRelevant { get; } = new bool[queries];
    }

    internal static QueryValues ScoreQueries(KeptData data, RankingEvaluationOptions options, double errMaximum, bool parallel = true)
    {
        int queries = data.QueryCount;
        var values = new QueryValues(queries, options.TruncationLevels.Count);
        int rows = data.Offsets[^1];
        int chunks = Math.Min(queries, Math.Max(1, rows / RowsPerChunk));
        if (!parallel || chunks <= 1 || Environment.ProcessorCount == 1)
        {
            ScoreRange(data, options, errMaximum, values, 0, queries);
        }
        else
        {
            // Chunk c is queries [c Q / C, (c + 1) Q / C); every value has its own slot, so the thread that computes it
            // does not matter.
            Parallel.For(0, chunks, c =>
                ScoreRange(data, options, errMaximum, values, (int)((long)c * queries / chunks), (int)((long)(c + 1) * queries / chunks)));
        }
        return values;
    }

    private static void ScoreRange(KeptData data, RankingEvaluationOptions options, double errMaximum, QueryValues values, int first, int end)
    {
        var conventions = options.MetricOptions;
        var levels = options.Levels;
        int maxLevel = options.MaximumLevel;
        int cascadeK = options.MapMrrErrTruncationLevel ?? int.MaxValue;
        bool averaged = conventions.TieRule == RankingTieRule.Averaged;
        for (int q = first; q < end; q++)
        {
            int start = data.Offsets[q];
            int n = data.Offsets[q + 1] - start;
            var labels = data.Labels.AsSpan(start, n);
            var s = RankingScratch.ForCurrentThread(n);
            var keys = s.Keys.AsSpan(0, n);
            var order = s.Order.AsSpan(0, n);
            if (data.FloatScores is { } floatScores)
                RankingKernels.Rank(labels, floatScores.AsSpan(start, n), conventions.TieRule, keys, order);
            else
                RankingKernels.Rank(labels, data.DoubleScores.AsSpan(start, n), conventions.TieRule, keys, order);

            // DCG and ideal DCG up to min(K, n) (both are flat beyond the list), in the work buffer (2 n values).
            int limit = Math.Min(maxLevel, n);
            var dcg = s.Work.AsSpan(0, limit);
            var idcg = s.Work.AsSpan(limit, limit);
            RankingKernels.IdealDcgCurve(labels, conventions, s.Values, idcg);
            double ap, rr, err;
            if (averaged)
            {
                RankingKernels.DcgCurve(labels, order, keys, conventions, dcg);
                ap = RankingKernels.AveragePrecision(labels, order, keys, conventions, cascadeK);
                var stop = s.Values.AsSpan(0, n);
                RankingKernels.RelevanceStopProbabilities(labels, conventions, stop);
                rr = RankingKernels.Cascade(stop, order, keys, averaged, cascadeK, s.Work.AsSpan(2 * limit));
                RankingKernels.ErrStopProbabilities(labels, errMaximum, stop);
                err = RankingKernels.Cascade(stop, order, keys, averaged, cascadeK, s.Work.AsSpan(2 * limit));
            }
            else
            {
                OnePass(labels, order, conventions, errMaximum, cascadeK, dcg, out ap, out rr, out err);
            }
            values.IdcgZero[q] = !(idcg[0] > 0);
            int row = q * levels.Length;
            for (int j = 0; j < levels.Length; j++)
            {
                int p = Math.Min(levels[j], limit) - 1;
                values.Dcg[row + j] = dcg[p];
                values.Ndcg[row + j] = RankingKernels.Normalize(dcg[p], idcg[p], conventions.IdcgZeroPolicy);
            }
            values.NoRelevant[q] = double.IsNaN(ap);
            values.AveragePrecision[q] = double.IsNaN(ap) ? RankingKernels.Undefined(conventions.IdcgZeroPolicy) : ap;
            values.ReciprocalRank[q] = rr;
            values.ExpectedReciprocalRank[q] = err;
        }
    }

    /// <summary>
    /// DCG curve, average precision, reciprocal rank and ERR of a ranked list in one pass over its positions, for the
    /// tie rules that fix one order. The arithmetic (and its order) is that of <see cref="RankingKernels.DcgCurve"/>,
    /// <see cref="RankingKernels.AveragePrecision"/> and <see cref="RankingKernels.Cascade"/>, so the values are the same.
    /// </summary>
    private static void OnePass(ReadOnlySpan<float> labels, ReadOnlySpan<int> order, RankingMetricOptions conventions, double errMaximum,
        int cascadeK, Span<double> dcg, out double ap, out double rr, out double err)
    {
        int n = labels.Length;
        int dcgLimit = dcg.Length;
        int cascadeLimit = Math.Min(cascadeK, n);
        var discount = Discounts.Table(conventions.Discount, dcgLimit);
        var gain = conventions.Gain;
        double errScale = Math.Pow(2, -errMaximum);
        double? threshold = conventions.RelevanceThreshold;
        double sum = 0, apSum = 0, reach = 1;
        int hits = 0, relevant = 0;
        rr = 0;
        err = 0;
        for (int p = 0; p < n; p++)
        {
            float l = labels[order[p]];
            bool isRelevant = threshold is { } t ? l >= t : l > 0;
            relevant += isRelevant ? 1 : 0;
            if (p < dcgLimit)
            {
                sum += gain.Of(l) * discount[p];
                dcg[p] = sum;
            }
            if (p < cascadeLimit)
            {
                if (isRelevant)
                {
                    hits++;
                    apSum += (double)hits / (p + 1);
                    if (rr == 0)
                        rr = 1.0 / (p + 1);
                }
                if (l > 0 && reach > 0) // label 0 stops no one: adding 0 and multiplying by 1 would change nothing
                {
                    double x = RankingKernels.ErrStopProbability(l, errScale);
                    err += reach * x / (p + 1);
                    reach *= 1 - x;
                }
            }
        }
        ap = relevant == 0 ? double.NaN : apSum / Math.Min(relevant, cascadeLimit);
    }

    /// <summary>The per-query objects, built when <see cref="RankingEvaluationMetrics.PerQuery"/> is first read.</summary>
    private static RankingQueryMetrics[] PerQuery(KeptData data, int levels, QueryValues values)
    {
        var perQuery = new RankingQueryMetrics[data.QueryCount];
        for (int q = 0; q < perQuery.Length; q++)
        {
            int row = q * levels;
            perQuery[q] = new RankingQueryMetrics(data.GroupIds[q], data.FirstRows[q], data.Offsets[q + 1] - data.Offsets[q],
                data.SkippedRowsPerQuery[q], data.Weights?[q] ?? 1, values.Ndcg.AsSpan(row, levels).ToArray(), values.Dcg.AsSpan(row, levels).ToArray(),
                values.AveragePrecision[q], values.ReciprocalRank[q], values.ExpectedReciprocalRank[q], values.IdcgZero[q]);
        }
        return perQuery;
    }

    private static RankingEvaluationMetrics Summarize(KeptData data, RankingEvaluationOptions options, double errMaximum, QueryValues values,
        RankingGroupStatistics stats)
    {
        int queries = data.QueryCount;
        int levels = options.TruncationLevels.Count;
        var ndcg = new double[levels];
        var dcg = new double[levels];
        // Sums in query order (the same whatever thread scored each query).
        double ndcgWeight = 0, allWeight = 0, apWeight = 0, ap = 0, rr = 0, err = 0;
        int idcgZero = 0, noRelevant = 0;
        for (int q = 0; q < queries; q++)
        {
            double w = data.Weights?[q] ?? 1;
            int row = q * levels;
            bool excluded = double.IsNaN(values.Ndcg[row]);
            for (int j = 0; j < levels; j++)
            {
                if (!excluded)
                    ndcg[j] += w * values.Ndcg[row + j];
                dcg[j] += w * values.Dcg[row + j];
            }
            if (!excluded)
                ndcgWeight += w;
            allWeight += w;
            if (!double.IsNaN(values.AveragePrecision[q]))
            {
                ap += w * values.AveragePrecision[q];
                apWeight += w;
            }
            rr += w * values.ReciprocalRank[q];
            err += w * values.ExpectedReciprocalRank[q];
            idcgZero += values.IdcgZero[q] ? 1 : 0;
            noRelevant += values.NoRelevant[q] ? 1 : 0;
        }
        for (int j = 0; j < levels; j++)
        {
            ndcg[j] = ndcgWeight > 0 ? ndcg[j] / ndcgWeight : double.NaN;
            dcg[j] = allWeight > 0 ? dcg[j] / allWeight : double.NaN;
        }
        var counts = new RankingEvaluationMetrics.Counts(data.Offsets[^1], data.SkippedRows, data.SkippedQueries,
            stats.SingleDocumentGroupCount, stats.AllEqualLabelGroupCount, idcgZero, noRelevant);
        return new RankingEvaluationMetrics(options, ndcg, dcg,
            apWeight > 0 ? ap / apWeight : double.NaN,
            allWeight > 0 ? rr / allWeight : double.NaN,
            allWeight > 0 ? err / allWeight : double.NaN,
            errMaximum, queries, () => PerQuery(data, levels, values), counts);
    }
}
