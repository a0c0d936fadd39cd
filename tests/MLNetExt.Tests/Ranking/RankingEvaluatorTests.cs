using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;
using MLNetExt.Data;
using MLNetExt.Ranking;
using MLNetExt.Tests.Support;
using MLRankingEvaluatorOptions = Microsoft.ML.Data.RankingEvaluatorOptions;

namespace MLNetExt.Tests.Ranking;

/// <summary>
/// <c>EvaluateRanking</c> end to end: equal to ML.NET's <c>Ranking.Evaluate</c> under ML.NET's conventions on a FastTree
/// model's scores, equal to LightGBM's <c>ndcg</c>/<c>map</c> rule and to scikit-learn's <c>ndcg_score</c> on the formula
/// set (numbers embedded from the oracle script below), counts, weights, and bad input.
/// </summary>
[TestClass]
public sealed class RankingEvaluatorTests
{
    [TestMethod]
    public void MLNetConventions_EqualMLNetRankingEvaluate_OnFastTreeScores()
    {
        var mlContext = new MLContext(seed: 1);
        var train = RankingTestData.SyntheticLtr(mlContext, queries: 150, seed: 11);
        var test = RankingTestData.SyntheticLtr(mlContext, queries: 80, seed: 12);
        var model = mlContext.Ranking.Trainers.FastTree(new FastTreeRankingTrainer.Options { NumberOfTrees = 15, NumberOfLeaves = 8 }).Fit(train);
        var scored = model.Transform(test);

        var ours = mlContext.Ranking.EvaluateRanking(scored, options: new RankingEvaluationOptions { MetricOptions = RankingMetricOptions.MLNet });
        var theirs = mlContext.Ranking.Evaluate(scored);
        // ML.NET 5.0.1: the public RankingEvaluatorOptions.DcgTruncationLevel defaults to 10 and NDCG is in [0, 1].
        Assert.AreEqual(10, new MLRankingEvaluatorOptions().DcgTruncationLevel);
        Assert.AreEqual(10, theirs.NormalizedDiscountedCumulativeGains.Count);
        for (int k = 0; k < 10; k++)
        {
            Assert.AreEqual(theirs.NormalizedDiscountedCumulativeGains[k], ours.NormalizedDiscountedCumulativeGains[k], 1e-12, $"NDCG@{k + 1}");
            Assert.AreEqual(theirs.DiscountedCumulativeGains[k], ours.DiscountedCumulativeGains[k], 1e-9, $"DCG@{k + 1}");
        }
        Assert.IsTrue(theirs.NormalizedDiscountedCumulativeGains[9] is > 0.3 and < 1, "NDCG in [0, 1], not scaled by 100");

        // The scores do tie (coarse features, few trees): the tie rule matters, so the comparison tests it.
        var stable = mlContext.Ranking.EvaluateRanking(scored, options: new RankingEvaluationOptions
        {
            MetricOptions = new RankingMetricOptions { Gain = RankingGain.MLNetDefault, IdcgZeroPolicy = IdcgZeroPolicy.Zero },
        });
        Assert.AreNotEqual(ours.GetNdcg(3), stable.GetNdcg(3), "the test data must contain score ties");

        // A truncation level other than 10, and ML.NET's DcgTruncationLevel.
        var three = mlContext.Ranking.Evaluate(scored, new MLRankingEvaluatorOptions { DcgTruncationLevel = 3 });
        var oursThree = mlContext.Ranking.EvaluateRanking(scored, options: new RankingEvaluationOptions
        {
            MetricOptions = RankingMetricOptions.MLNet, TruncationLevels = [1, 3],
        });
        Assert.AreEqual(three.NormalizedDiscountedCumulativeGains[2], oursThree.GetNdcg(3), 1e-12);
        Assert.AreEqual(three.NormalizedDiscountedCumulativeGains[0], oursThree.GetNdcg(1), 1e-12);
    }

    [TestMethod]
    public void MLNetConventions_EqualMLNetRankingEvaluate_OnLtrSample()
    {
        // data/ltr (LightGBM's lambdarank example): FastTree trained on rank.train scores rank.test (50 queries).
        var mlContext = new MLContext(seed: 1);
        var views = mlContext.Data.LoadFromLibSvm([TestData.Path("ltr/rank.train"), TestData.Path("ltr/rank.test")]);
        var model = mlContext.Ranking.Trainers.FastTree(new FastTreeRankingTrainer.Options { NumberOfTrees = 30 }).Fit(views[0]);
        var scored = model.Transform(views[1]);

        var theirs = mlContext.Ranking.Evaluate(scored);
        var ours = mlContext.Ranking.EvaluateRanking(scored, options: new RankingEvaluationOptions { MetricOptions = RankingMetricOptions.MLNet });
        for (int k = 0; k < 10; k++)
        {
            Assert.AreEqual(theirs.NormalizedDiscountedCumulativeGains[k], ours.NormalizedDiscountedCumulativeGains[k], 1e-12, $"NDCG@{k + 1}");
            Assert.AreEqual(theirs.DiscountedCumulativeGains[k], ours.DiscountedCumulativeGains[k], 1e-9, $"DCG@{k + 1}");
        }
        Assert.AreEqual(50, ours.QueryCount);
        Assert.AreEqual(768, ours.RowCount);

        // The same scores through the span function under LightGBM's conventions.
        var reader = new DataViewColumnReader(scored, "Test");
        var label = reader.AddRelevanceLabel("Label", "label");
        var score = reader.AddScalar("Score", "score", ValueRule.Finite);
        var group = reader.AddId("GroupId", "group");
        reader.Read();
        var offsets = GroupBoundaries.FromRuns(group.Values, "GroupId").Offsets;
        var lightGbm = mlContext.Ranking.EvaluateRanking(scored);
        Assert.AreEqual(RankingMeasures.Mean(RankingMeasure.Ndcg, label.Values, score.Values, offsets, 10), lightGbm.GetNdcg(10), 1e-15);
    }

    [TestMethod]
    public void MLNetConventions_NaNScoreAndAllZeroQuery_AsMLNet()
    {
        // Query 1: all labels 0 (ML.NET: NDCG 0, still counted); query 2: a NaN-score row (skipped), then labels 2 at
        // score 1 and 1 at score 3, so NDCG@1 = 3/7. ML.NET 5.0.1 printed NDCG@1 = 0.21428571428571427 = (0 + 3/7) / 2.
        var mlContext = new MLContext(seed: 1);
        var rows = new List<RankingTestData.Row>
        {
            new() { Label = 0, Score = 1, GroupId = 1 }, new() { Label = 0, Score = 2, GroupId = 1 },
            new() { Label = 1, Score = float.NaN, GroupId = 2 }, new() { Label = 2, Score = 1, GroupId = 2 }, new() { Label = 1, Score = 3, GroupId = 2 },
        };
        var view = RankingTestData.View(mlContext, rows);
        var theirs = mlContext.Ranking.Evaluate(view);
        var ours = mlContext.Ranking.EvaluateRanking(view, options: new RankingEvaluationOptions { MetricOptions = RankingMetricOptions.MLNet });
        Assert.AreEqual(0.21428571428571427, theirs.NormalizedDiscountedCumulativeGains[0], 1e-15);
        for (int k = 0; k < 10; k++)
            Assert.AreEqual(theirs.NormalizedDiscountedCumulativeGains[k], ours.NormalizedDiscountedCumulativeGains[k], 1e-15);
        Assert.AreEqual(1, ours.SkippedRowCount);
        Assert.AreEqual(0, ours.SkippedQueryCount);
        Assert.AreEqual(4, ours.RowCount);
        Assert.AreEqual(1, ours.IdcgZeroQueryCount);
        Assert.AreEqual(1, ours.AllEqualLabelQueryCount);
        Assert.AreEqual(1, ours.PerQuery[1].SkippedRowCount);
        Assert.AreEqual(2, ours.PerQuery[1].DocumentCount);

        // LightGBM's convention counts the all-zero query as 1, and its gain 2^l - 1 gives query 2 NDCG@1 = 1/3.
        var lightGbm = mlContext.Ranking.EvaluateRanking(view);
        Assert.AreEqual((1 + 1.0 / 3) / 2, lightGbm.GetNdcg(1), 1e-15);
        var excluded = mlContext.Ranking.EvaluateRanking(view, options: new RankingEvaluationOptions
        {
            MetricOptions = new RankingMetricOptions { IdcgZeroPolicy = IdcgZeroPolicy.Exclude },
        });
        Assert.AreEqual(1.0 / 3, excluded.GetNdcg(1), 1e-15);
        Assert.IsTrue(double.IsNaN(excluded.PerQuery[0].NormalizedDiscountedCumulativeGains[0]));
    }

    // Oracle for the formula set (RankingTestData.FormulaSet), an offline script (not in the repository) run with
    // /usr/bin/python3, numpy and
    // scikit-learn 1.x: LightGBM's rule is a numpy port of src/metric/rank_metric.hpp and dcg_calculator.cpp @bae0b7b
    // (np.argsort(-s, kind='stable'), label_gain 2^l - 1, discount 1/log2(2 + i), k capped at n, a query whose max DCG is
    // 0 counts 1) and of map_metric.hpp (relevant = label > 0.5, divided by min(npos, k), no positive -> 1);
    // scikit-learn is the mean over queries of ndcg_score([2^l - 1], [s], k=k) (tie-averaged, all-zero query -> 0).
    private static readonly int[] OracleKs = [1, 3, 5, 10];
    private static readonly double[] LightGbmNdcg = [0.431904761904762, 0.518275586348938, 0.615765723330077, 0.715426730729623];
    private static readonly double[] LightGbmMap = [0.800000000000000, 0.749305555555556, 0.745333333333333, 0.820565090388007];
    private static readonly double[] ScikitLearnNdcg = [0.343571428571429, 0.421974185475230, 0.517802645994643, 0.617144843719063];

    [TestMethod]
    public void Defaults_EqualLightGbmRule_AndAveragedEqualsScikitLearn_OnFormulaSet()
    {
        var mlContext = new MLContext(seed: 1);
        var view = RankingTestData.View(mlContext, RankingTestData.FormulaRows());
        var ours = mlContext.Ranking.EvaluateRanking(view, options: new RankingEvaluationOptions { TruncationLevels = OracleKs });
        var sklearn = mlContext.Ranking.EvaluateRanking(view, options: new RankingEvaluationOptions
        {
            TruncationLevels = OracleKs,
            MetricOptions = new RankingMetricOptions { TieRule = RankingTieRule.Averaged, IdcgZeroPolicy = IdcgZeroPolicy.Zero },
        });
        var (labels, scores, offsets) = RankingTestData.FormulaSet();
        for (int i = 0; i < OracleKs.Length; i++)
        {
            int k = OracleKs[i];
            Assert.AreEqual(LightGbmNdcg[i], ours.GetNdcg(k), 1e-12, $"LightGBM NDCG@{k}");
            Assert.AreEqual(ScikitLearnNdcg[i], sklearn.GetNdcg(k), 1e-12, $"scikit-learn NDCG@{k}");
            Assert.AreEqual(LightGbmNdcg[i], RankingMeasures.Mean(RankingMeasure.Ndcg, labels, scores, offsets, k), 1e-12, $"Mean NDCG@{k}");
            Assert.AreEqual(LightGbmMap[i], RankingMeasures.Mean(RankingMeasure.AveragePrecision, labels, scores, offsets, k), 1e-12, $"Mean AP@{k}");
            var atK = mlContext.Ranking.EvaluateRanking(view, options: new RankingEvaluationOptions { MapMrrErrTruncationLevel = k });
            Assert.AreEqual(LightGbmMap[i], atK.MeanAveragePrecision, 1e-12, $"MAP@{k}");
        }
        Assert.AreEqual(40, ours.QueryCount);
        Assert.AreEqual(296, ours.RowCount);
        Assert.AreEqual(4, ours.IdcgZeroQueryCount);
        Assert.AreEqual(4, ours.NoRelevantDocumentQueryCount);
        Assert.AreEqual(0, ours.SingleDocumentQueryCount);
        Assert.AreEqual(4, ours.AllEqualLabelQueryCount);
        Assert.AreEqual(4, ours.ErrMaximumLabel);
    }

    [TestMethod]
    [DataRow(RankingTieRule.Averaged)]
    [DataRow(RankingTieRule.Pessimistic)]
    [DataRow(RankingTieRule.Stable)]
    public void PerQueryValues_EqualSpanFunctions_AndMeansAreTheirWeightedMeans(RankingTieRule rule)
    {
        var mlContext = new MLContext(seed: 1);
        // Query weight 1 + q mod 3, constant within each query.
        var view = RankingTestData.View(mlContext, RankingTestData.FormulaRows(q => 1 + q % 3));
        var options = new RankingEvaluationOptions
        {
            QueryWeightColumnName = "Weight",
            MapMrrErrTruncationLevel = 5,
            MetricOptions = new RankingMetricOptions { TieRule = rule, RelevanceThreshold = 2 },
        };
        var m = mlContext.Ranking.EvaluateRanking(view, scoreColumnName: "ScoreDouble", options: options);
        var (labels, scores, offsets) = RankingTestData.FormulaSet();
        var o = options.MetricOptions;
        // ERR's L is the largest label of all queries (4), not the query's own.
        var errOptions = new RankingMetricOptions { TieRule = rule, ErrMaximumLabel = 4 };
        double weightSum = 0, ndcg10 = 0, err = 0;
        for (int q = 0; q < 40; q++)
        {
            var l = labels.AsSpan(offsets[q], offsets[q + 1] - offsets[q]);
            var s = scores.AsSpan(offsets[q], offsets[q + 1] - offsets[q]);
            var pq = m.PerQuery[q];
            Assert.AreEqual(q + 2, pq.GroupId, "LoadFromEnumerable stores a uint u of a key column as key value u + 1");
            Assert.AreEqual(offsets[q], pq.FirstRow);
            Assert.AreEqual(1 + q % 3, pq.Weight);
            for (int k = 1; k <= 10; k++)
            {
                Assert.AreEqual(RankingMeasures.Ndcg(l, s, k, o), pq.NormalizedDiscountedCumulativeGains[k - 1], 1e-15);
                Assert.AreEqual(RankingMeasures.Dcg(l, s, k, o), pq.DiscountedCumulativeGains[k - 1], 1e-12);
            }
            Assert.AreEqual(RankingMeasures.AveragePrecision(l, s, 5, o), pq.AveragePrecision, 1e-15);
            Assert.AreEqual(RankingMeasures.ReciprocalRank(l, s, 5, o), pq.ReciprocalRank, 1e-15);
            double queryErr = pq.ExpectedReciprocalRank;
            Assert.AreEqual(RankingMeasures.ExpectedReciprocalRank(l, s, 5, errOptions), queryErr, 1e-15);
            weightSum += pq.Weight;
            ndcg10 += pq.Weight * pq.NormalizedDiscountedCumulativeGains[9];
            err += pq.Weight * queryErr;
        }
        Assert.AreEqual(ndcg10 / weightSum, m.GetNdcg(10), 1e-14);
        double meanErr = m.ExpectedReciprocalRank;
        Assert.AreEqual(err / weightSum, meanErr, 1e-14);
        var weights = Enumerable.Range(0, 40).Select(q => (double)(1 + q % 3)).ToArray();
        Assert.AreEqual(m.GetNdcg(10), RankingMeasures.Mean(RankingMeasure.Ndcg, labels, scores, offsets, 10, o, weights), 1e-14);
        Assert.AreEqual(m.MeanAveragePrecision, RankingMeasures.Mean(RankingMeasure.AveragePrecision, labels, scores, offsets, 5, o, weights), 1e-14);
        Assert.AreEqual(m.MeanReciprocalRank, RankingMeasures.Mean(RankingMeasure.ReciprocalRank, labels, scores, offsets, 5, o, weights), 1e-14);
        Assert.IsTrue(m.IsWeighted);
        StringAssert.Contains(m.ToString(), "NDCG@10");
    }

    [TestMethod]
    public void KeyLabel_NumericGroup_AndDoubleScore_GiveTheSameMetrics()
    {
        var mlContext = new MLContext(seed: 1);
        var rows = RankingTestData.FormulaRows();
        var view = RankingTestData.View(mlContext, rows);
        var baseline = mlContext.Ranking.EvaluateRanking(view);
        // Label as a key type (text loader style: grade g is key value g + 1), QueryNumber (Single) as the group.
        var keyed = mlContext.Transforms.Conversion.MapValueToKey("LabelKey", "Label",
            keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue).Fit(view).Transform(view);
        var other = mlContext.Ranking.EvaluateRanking(keyed, labelColumnName: "LabelKey", scoreColumnName: "ScoreDouble", rowGroupColumnName: "QueryNumber");
        CollectionAssert.AreEqual(baseline.NormalizedDiscountedCumulativeGains.ToArray(), other.NormalizedDiscountedCumulativeGains.ToArray());
        Assert.AreEqual(baseline.MeanAveragePrecision, other.MeanAveragePrecision, 0);
        Assert.AreEqual(0, other.PerQuery[0].GroupId, "a numeric group reports its value; a key group reports the key value");
        Assert.AreEqual(2, baseline.PerQuery[0].GroupId, "LoadFromEnumerable stores a uint u of a key column as key value u + 1");
    }

    [TestMethod]
    public void Evaluate_IsIndependentOfThreads_AndOneDocumentQueriesAreCounted()
    {
        // 3,000 queries: large enough for the parallel path.
        var mlContext = new MLContext(seed: 1);
        var random = new Random(5);
        var rows = new List<RankingTestData.Row>();
        for (uint q = 1; q <= 3000; q++)
        {
            int n = q % 500 == 0 ? 1 : 2 + random.Next(30);
            for (int i = 0; i < n; i++)
                rows.Add(new RankingTestData.Row { Label = random.Next(5), Score = random.Next(8), GroupId = q });
        }
        var view = RankingTestData.View(mlContext, rows, 3001);
        var m = mlContext.Ranking.EvaluateRanking(view, options: new RankingEvaluationOptions { MetricOptions = new RankingMetricOptions { TieRule = RankingTieRule.Averaged } });
        Assert.AreEqual(6, m.SingleDocumentQueryCount);
        var labels = rows.Select(r => r.Label).ToArray();
        var scores = rows.Select(r => r.Score).ToArray();
        var offsets = m.PerQuery.Select(p => p.FirstRow).Append(rows.Count).ToArray();
        var o = m.Options.MetricOptions;
        double serial = RankingMeasures.Mean(RankingMeasure.Ndcg, labels, scores, offsets, 10, o, maxDegreeOfParallelism: 1);
        double parallel = RankingMeasures.Mean(RankingMeasure.Ndcg, labels, scores, offsets, 10, o, maxDegreeOfParallelism: 4);
        Assert.AreEqual(serial, parallel, 0, "bit-identical whatever the thread count");
        Assert.AreEqual(serial, m.GetNdcg(10), 0);
        var perQuery = new double[3000];
        RankingMeasures.Mean(RankingMeasure.ExpectedReciprocalRank, labels, scores, offsets, int.MaxValue, o, perQuery: perQuery);
        CollectionAssert.AreEqual(m.PerQuery.Select(p => p.ExpectedReciprocalRank).ToArray(), perQuery);
    }

    [TestMethod]
    public void BadInput_ErrorsNameColumnRowOrQuery()
    {
        var mlContext = new MLContext(seed: 1);
        var good = RankingTestData.FormulaRows();
        IDataView View(Action<List<RankingTestData.Row>> change)
        {
            var rows = RankingTestData.FormulaRows();
            change(rows);
            return RankingTestData.View(mlContext, rows);
        }

        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.Ranking.EvaluateRanking(RankingTestData.View(mlContext, good), labelColumnName: "Grade"));
        StringAssert.Contains(e.Message, "Could not find label column 'Grade'");
        e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.Ranking.EvaluateRanking(RankingTestData.View(mlContext, good), rowGroupColumnName: "Query"));
        StringAssert.Contains(e.Message, "Could not find group column 'Query'");
        e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.Ranking.EvaluateRanking(RankingTestData.View(mlContext, good), scoreColumnName: "GroupId"));
        StringAssert.Contains(e.Message, "Schema mismatch for score column 'GroupId': expected Single or Double, got Key<UInt32, 0-999>");

        var text = mlContext.Data.LoadFromEnumerable(new[] { new { Label = "a", Score = 1f, GroupId = 1f } });
        e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.Ranking.EvaluateRanking(text));
        StringAssert.Contains(e.Message, "Schema mismatch for label column 'Label': expected Single, Double or a key type (relevance grades), got");

        var i = Assert.ThrowsExactly<InvalidOperationException>(() => mlContext.Ranking.EvaluateRanking(View(r => r[5].Label = float.NaN)));
        StringAssert.Contains(i.Message, "Label column 'Label' has NaN at row 5");
        i = Assert.ThrowsExactly<InvalidOperationException>(() => mlContext.Ranking.EvaluateRanking(View(r => r[7].Label = -2)));
        StringAssert.Contains(i.Message, "Label column 'Label' has -2 at row 7");
        i = Assert.ThrowsExactly<InvalidOperationException>(() => mlContext.Ranking.EvaluateRanking(View(r => r[20].GroupId = 1)));
        StringAssert.Contains(i.Message, "Rows of group 2 in column 'GroupId' are not contiguous: rows 0-1 and again from row 20");
        i = Assert.ThrowsExactly<InvalidOperationException>(() => mlContext.Ranking.EvaluateRanking(RankingTestData.View(mlContext, [])));
        StringAssert.Contains(i.Message, "The data has no rows; EvaluateRanking needs at least 1");
        i = Assert.ThrowsExactly<InvalidOperationException>(() => mlContext.Ranking.EvaluateRanking(View(r => r[3].Weight = 2),
            options: new RankingEvaluationOptions { QueryWeightColumnName = "Weight" }));
        StringAssert.Contains(i.Message, "Query weight column 'Weight' must be constant within each query, but query 3 of 'GroupId' (rows 2-10) has 1 at row 2 and 2 at row 3");
        i = Assert.ThrowsExactly<InvalidOperationException>(() => mlContext.Ranking.EvaluateRanking(View(r => r[4].Label = 2.5f),
            options: new RankingEvaluationOptions { MetricOptions = RankingMetricOptions.MLNet }));
        StringAssert.Contains(i.Message, "Label column 'Label' has 2.5 at row 4; the gain table table [0, 3, 7, 15, 31] of RankingMetricOptions.Gain needs whole-number labels 0..4");

        // A missing key in the group column (the text loader maps a value outside the key range to key 0).
        string file = Path.Combine(Path.GetTempPath(), $"rankeval-{Guid.NewGuid():N}.csv");
        File.WriteAllLines(file, ["1,0.5,0", "0,0.2,0", "2,0.9,7"]);
        try
        {
            var loader = mlContext.Data.CreateTextLoader(
                [new TextLoader.Column("Label", DataKind.Single, 0), new TextLoader.Column("Score", DataKind.Single, 1),
                 new TextLoader.Column("GroupId", DataKind.UInt32, 2) { KeyCount = new KeyCount(5) }], separatorChar: ',');
            i = Assert.ThrowsExactly<InvalidOperationException>(() => mlContext.Ranking.EvaluateRanking(loader.Load(file)));
            StringAssert.Contains(i.Message, "Group column 'GroupId' has a missing key value at row 2");
        }
        finally
        {
            File.Delete(file);
        }

        var o = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new RankingEvaluationOptions { TruncationLevels = [0, 3] });
        Assert.AreEqual(nameof(RankingEvaluationOptions.TruncationLevels), o.ParamName);
        StringAssert.Contains(o.Message, "got 0");
        o = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new RankingEvaluationOptions { TruncationLevels = [5, 3] });
        StringAssert.Contains(o.Message, "strictly increasing; got 5 before 3");
        o = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new RankingEvaluationOptions { MapMrrErrTruncationLevel = 0 });
        Assert.AreEqual(nameof(RankingEvaluationOptions.MapMrrErrTruncationLevel), o.ParamName);
        var k = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.Ranking.EvaluateRanking(RankingTestData.View(mlContext, good)).GetNdcg(11));
        StringAssert.Contains(k.Message, "Cut-off 11 was not evaluated");
    }

    [TestMethod]
    public void AllScoresNaN_InAQuery_SkipsTheQuery()
    {
        var mlContext = new MLContext(seed: 1);
        var rows = RankingTestData.FormulaRows();
        foreach (var r in rows.Where(r => r.GroupId == 3))
            r.Score = float.NaN;
        var m = mlContext.Ranking.EvaluateRanking(RankingTestData.View(mlContext, rows));
        Assert.AreEqual(1, m.SkippedQueryCount);
        Assert.AreEqual(39, m.QueryCount);
        Assert.AreEqual(rows.Count(r => r.GroupId == 3), m.SkippedRowCount);
        Assert.AreEqual(5, m.PerQuery[2].GroupId);
    }
}
