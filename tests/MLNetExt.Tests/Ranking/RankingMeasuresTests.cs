using MLNetExt.Ranking;

namespace MLNetExt.Tests.Ranking;

/// <summary>
/// The span functions against docs/specs/ranking.md §8.1 (an independent float64 numpy script; the tie-averaged column
/// equals scikit-learn's <c>ndcg_score</c> with y_true = 2^l - 1) and against hand arithmetic. Values for average
/// precision, ERR and reciprocal rank under every tie rule were produced by a separate numpy script that orders the
/// list with Python's <c>sorted</c> and, for the averaged rule, averages over every order within the tie groups
/// (brute force over all permutations), not by the formulas used here.
/// </summary>
[TestClass]
public sealed class RankingMeasuresTests
{
    private const double Tol = 1e-12;

    // §8.1: three-way tie at 0.4 (labels 2, 0, 2), two-way tie at -0.2 (labels 1, 1).
    private static readonly float[] Labels = [2, 0, 3, 1, 0, 2, 1];
    private static readonly double[] Scores = [0.4, 0.4, 1.3, -0.2, 0.9, 0.4, -0.2];
    private static readonly int[] Ks = [1, 2, 3, 5, 10];

    private static RankingMetricOptions Ties(RankingTieRule rule) => new() { TieRule = rule };

    [TestMethod]
    public void Ndcg_Spec81Table_EveryTieRule()
    {
        double[] stable = [1, 0.787154602991, 0.817874757851, 0.861755918273, 0.923265367152];
        double[] pessimistic = [1, 0.787154602991, 0.673543918230, 0.843204230965, 0.904713679843];
        double[] optimistic = [1, 0.787154602991, 0.817874757851, 0.873483618163, 0.934993067042];
        double[] averaged = [1, 0.787154602991, 0.769764477977, 0.859481255800, 0.920990704679];
        for (int i = 0; i < Ks.Length; i++)
        {
            Assert.AreEqual(stable[i], RankingMeasures.Ndcg(Labels, Scores, Ks[i]), Tol, $"stable k={Ks[i]}");
            Assert.AreEqual(pessimistic[i], RankingMeasures.Ndcg(Labels, Scores, Ks[i], Ties(RankingTieRule.Pessimistic)), Tol, $"pessimistic k={Ks[i]}");
            Assert.AreEqual(optimistic[i], RankingMeasures.Ndcg(Labels, Scores, Ks[i], Ties(RankingTieRule.Optimistic)), Tol, $"optimistic k={Ks[i]}");
            Assert.AreEqual(averaged[i], RankingMeasures.Ndcg(Labels, Scores, Ks[i], Ties(RankingTieRule.Averaged)), Tol, $"averaged k={Ks[i]}");
        }
    }

    [TestMethod]
    public void Ndcg_Spec81Table_LinearGainAndMLNetColumn()
    {
        double[] linearStable = [1, 0.703918089034, 0.760187533432, 0.785227876457, 0.898650546878];
        double[] mlnet = [1, 0.772538490832, 0.654549978557, 0.816848391215, 0.898389394137];
        var linear = new RankingMetricOptions { Gain = RankingGain.Linear };
        for (int i = 0; i < Ks.Length; i++)
        {
            Assert.AreEqual(linearStable[i], RankingMeasures.Ndcg(Labels, Scores, Ks[i], linear), Tol, $"linear k={Ks[i]}");
            Assert.AreEqual(mlnet[i], RankingMeasures.Ndcg(Labels, Scores, Ks[i], RankingMetricOptions.MLNet), Tol, $"ML.NET k={Ks[i]}");
        }
        // scikit-learn's ndcg_score on the raw labels (linear gain, averaged ties): 0.696838572313 at k = 3,
        // 0.782431576629 at 5, 0.895854247050 at 10 (sklearn 1.x via /usr/bin/python3).
        Assert.AreEqual(0.696838572313, RankingMeasures.Ndcg(Labels, Scores, 3, RankingMetricOptions.ScikitLearn), Tol);
        Assert.AreEqual(0.782431576629, RankingMeasures.Ndcg(Labels, Scores, 5, RankingMetricOptions.ScikitLearn), Tol);
        Assert.AreEqual(0.895854247050, RankingMeasures.Ndcg(Labels, Scores, 10, RankingMetricOptions.ScikitLearn), Tol);
    }

    [TestMethod]
    public void Dcg_StableOrder_HandArithmetic_AndNaturalLogIsOneOverLn2Larger()
    {
        // Stable order: labels 3 (1.3), 0 (0.9), 2, 0, 2 (0.4 tie in input order), 1, 1 (-0.2 tie).
        // DCG@1 = 7; @3 = 7 + 0 + 3/log2(4) = 8.5; @5 = 8.5 + 0 + 3/log2(6) = 9.660558421704.
        Assert.AreEqual(7, RankingMeasures.Dcg(Labels, Scores, 1), Tol);
        Assert.AreEqual(8.5, RankingMeasures.Dcg(Labels, Scores, 3), Tol);
        Assert.AreEqual(8.5 + 3 / Math.Log2(6), RankingMeasures.Dcg(Labels, Scores, 5), Tol);
        Assert.AreEqual(10.350098942145, RankingMeasures.Dcg(Labels, Scores, 7), Tol);
        Assert.AreEqual(RankingMeasures.Dcg(Labels, Scores, 7), RankingMeasures.Dcg(Labels, Scores, 1000), 0, "k is capped at the list length");
        var ln = new RankingMetricOptions { Discount = RankingDiscount.NaturalLog };
        Assert.AreEqual(RankingMeasures.Dcg(Labels, Scores, 5) / Math.Log(2), RankingMeasures.Dcg(Labels, Scores, 5, ln), 1e-12);
        Assert.AreEqual(RankingMeasures.Ndcg(Labels, Scores, 5), RankingMeasures.Ndcg(Labels, Scores, 5, ln), 1e-15);
    }

    [TestMethod]
    public void Dcg_MLNetPreset_EqualsMLNetsDcgAtRuntime()
    {
        // mlContext.Ranking.Evaluate (ML.NET 5.0.1) on this query printed DCG@1 = 21.64042561333445 (15 / ln 2) and
        // DCG@3 = 21.64042561333445, DCG@5 = 29.896544541110465, DCG@7 = 32.88093460910868.
        Assert.AreEqual(21.64042561333445, RankingMeasures.Dcg(Labels, Scores, 1, RankingMetricOptions.MLNet), 1e-12);
        Assert.AreEqual(21.64042561333445, RankingMeasures.Dcg(Labels, Scores, 3, RankingMetricOptions.MLNet), 1e-12);
        Assert.AreEqual(29.896544541110465, RankingMeasures.Dcg(Labels, Scores, 5, RankingMetricOptions.MLNet), 1e-12);
        Assert.AreEqual(32.88093460910868, RankingMeasures.Dcg(Labels, Scores, 7, RankingMetricOptions.MLNet), 1e-12);
    }

    [TestMethod]
    public void ClassDocExample_IsRight()
    {
        // labels [3, 2, 0], scores [0.1, 0.9, 0.5]: ranked labels 2, 0, 3; DCG@3 = 3 + 7/2 = 6.5; IDCG@3 = 7 + 3/log2(3).
        float[] labels = [3, 2, 0];
        double[] scores = [0.1, 0.9, 0.5];
        Assert.AreEqual(6.5, RankingMeasures.Dcg(labels, scores, 3), Tol);
        Assert.AreEqual(6.5 / (7 + 3 / Math.Log2(3)), RankingMeasures.Ndcg(labels, scores, 3), Tol);
        Assert.AreEqual(0.7309, RankingMeasures.Ndcg(labels, scores, 3), 5e-5);
        Assert.AreEqual(3.0 / 7, RankingMeasures.Ndcg(labels, scores, 1), Tol);
        Assert.AreEqual((1 + 2.0 / 3) / 2, RankingMeasures.AveragePrecision(labels, scores), Tol);
        Assert.AreEqual(1, RankingMeasures.ReciprocalRank(labels, scores), Tol);
    }

    [TestMethod]
    public void ErrAndReciprocalRank_Spec81()
    {
        var lmax3 = new RankingMetricOptions { ErrMaximumLabel = 3 };
        Assert.AreEqual(0.898264567057, RankingMeasures.ExpectedReciprocalRank(Labels, Scores, options: lmax3), Tol);
        // L defaults to the query's largest label, 3 here.
        Assert.AreEqual(0.898264567057, RankingMeasures.ExpectedReciprocalRank(Labels, Scores), Tol);
        Assert.AreEqual(1, RankingMeasures.ReciprocalRank(Labels, Scores), Tol);
        Assert.AreEqual(1, RankingMeasures.ReciprocalRank(Labels, Scores, options: new RankingMetricOptions { RelevanceThreshold = 2 }), Tol);
        // By hand: the first two ranks give R = 7/8 then 0, so ERR@1 = 7/8 and ERR@2 = 7/8.
        Assert.AreEqual(0.875, RankingMeasures.ExpectedReciprocalRank(Labels, Scores, 2), Tol);
    }

    [TestMethod]
    public void AveragePrecisionErr_EveryTieRule_MatchBruteForceOracle()
    {
        var rules = new[] { RankingTieRule.Stable, RankingTieRule.Pessimistic, RankingTieRule.Optimistic, RankingTieRule.Averaged };
        // Per rule: AP, AP@3, AP with relevance label >= 2, ERR (L = 3), ERR@3.
        double[][] expected =
        [
            [0.729523809524, 0.555555555556, 0.755555555556, 0.898264567057, 0.890625000000],
            [0.696190476190, 0.333333333333, 0.700000000000, 0.894358317057, 0.875000000000],
            [0.759523809524, 0.555555555556, 0.805555555556, 0.899729410807, 0.890625000000],
            [0.728412698413, 0.481481481481, 0.753703703704, 0.897450764974, 0.885416666667],
        ];
        for (int r = 0; r < rules.Length; r++)
        {
            var o = new RankingMetricOptions { TieRule = rules[r] };
            var t2 = new RankingMetricOptions { TieRule = rules[r], RelevanceThreshold = 2 };
            string name = rules[r].ToString();
            Assert.AreEqual(expected[r][0], RankingMeasures.AveragePrecision(Labels, Scores, options: o), Tol, name + " AP");
            Assert.AreEqual(expected[r][1], RankingMeasures.AveragePrecision(Labels, Scores, 3, o), Tol, name + " AP@3");
            Assert.AreEqual(expected[r][2], RankingMeasures.AveragePrecision(Labels, Scores, options: t2), Tol, name + " AP label>=2");
            Assert.AreEqual(expected[r][3], RankingMeasures.ExpectedReciprocalRank(Labels, Scores, options: o), Tol, name + " ERR");
            Assert.AreEqual(expected[r][4], RankingMeasures.ExpectedReciprocalRank(Labels, Scores, 3, o), Tol, name + " ERR@3");
        }
        Assert.AreEqual(0.895670572917, RankingMeasures.ExpectedReciprocalRank(Labels, Scores, 5, Ties(RankingTieRule.Averaged)), Tol);
    }

    [TestMethod]
    public void Averaged_AllTiedFractionalLabels_MatchBruteForceOracle()
    {
        // Seven documents, one score, labels with repeats and fractions: every one of the 7! orders averaged (numpy).
        float[] labels = [0.5f, 2, 0, 1.5f, 2, 0, 3];
        double[] scores = [1, 1, 1, 1, 1, 1, 1];
        var avg = new RankingMetricOptions { TieRule = RankingTieRule.Averaged, ErrMaximumLabel = 3 };
        Assert.AreEqual(0.497311160785, RankingMeasures.ExpectedReciprocalRank(labels, scores, options: avg), Tol);
        Assert.AreEqual(0.378183943909, RankingMeasures.ExpectedReciprocalRank(labels, scores, 2, avg), Tol);
        Assert.AreEqual(0.790136054422, RankingMeasures.AveragePrecision(labels, scores, options: avg), Tol);
        Assert.AreEqual(0.849206349206, RankingMeasures.ReciprocalRank(labels, scores, options: avg), Tol);
        Assert.AreEqual(0.655714285714, RankingMeasures.ReciprocalRank(labels, scores,
            options: new RankingMetricOptions { TieRule = RankingTieRule.Averaged, RelevanceThreshold = 2 }), Tol);
        Assert.AreEqual(0.446477095779, RankingMeasures.Ndcg(labels, scores, 3, avg), Tol);
    }

    [TestMethod]
    public void Ndcg_AllLabelsZero_FollowsIdcgZeroPolicy()
    {
        float[] zeros = [0, 0, 0];
        double[] s = [0.3, 0.1, 0.2];
        Assert.AreEqual(1, RankingMeasures.Ndcg(zeros, s, 3), "LightGBM: 1 by default");
        Assert.AreEqual(0, RankingMeasures.Ndcg(zeros, s, 3, new RankingMetricOptions { IdcgZeroPolicy = IdcgZeroPolicy.Zero }));
        Assert.IsTrue(double.IsNaN(RankingMeasures.Ndcg(zeros, s, 3, new RankingMetricOptions { IdcgZeroPolicy = IdcgZeroPolicy.Exclude })));
        Assert.AreEqual(1, RankingMeasures.AveragePrecision(zeros, s), "no relevant document: the same policy");
        Assert.AreEqual(0, RankingMeasures.ReciprocalRank(zeros, s));
        Assert.AreEqual(0, RankingMeasures.ExpectedReciprocalRank(zeros, s));
        Assert.AreEqual(0, RankingMeasures.Dcg(zeros, s, 3));
        Span<double> curve = stackalloc double[4];
        RankingMeasures.NdcgAtEachCutoff(zeros, s, curve, new RankingMetricOptions { IdcgZeroPolicy = IdcgZeroPolicy.Zero });
        CollectionAssert.AreEqual(new double[] { 0, 0, 0, 0 }, curve.ToArray());
    }

    [TestMethod]
    public void GainTable_MatchesLinearAndExponentialWhereTheyAgree()
    {
        var exponentialTable = new RankingMetricOptions { Gain = RankingGain.Table(0, 1, 3, 7) };
        var linearTable = new RankingMetricOptions { Gain = RankingGain.Table(0, 1, 2, 3) };
        foreach (int k in Ks)
        {
            Assert.AreEqual(RankingMeasures.Dcg(Labels, Scores, k), RankingMeasures.Dcg(Labels, Scores, k, exponentialTable), 0);
            Assert.AreEqual(RankingMeasures.Dcg(Labels, Scores, k, new RankingMetricOptions { Gain = RankingGain.Linear }),
                RankingMeasures.Dcg(Labels, Scores, k, linearTable), 0);
        }
        // Fractional labels with the exponential gain: 2^0.5 - 1 at rank 1, nothing else relevant.
        Assert.AreEqual(Math.Sqrt(2) - 1, RankingMeasures.Dcg([0.5f, 0], [2.0, 1.0], 2), 1e-15);
    }

    [TestMethod]
    public void EachCutoff_EqualsSingleCutoffCalls_AndFloatScoresEqualDouble()
    {
        float[] floatScores = Scores.Select(s => (float)s).ToArray();
        foreach (var rule in Enum.GetValues<RankingTieRule>())
        {
            var o = Ties(rule);
            var ndcg = new double[9];
            var dcg = new double[9];
            RankingMeasures.NdcgAtEachCutoff(Labels, Scores, ndcg, o);
            RankingMeasures.DcgAtEachCutoff(Labels, Scores, dcg, o);
            var ndcgF = new double[9];
            RankingMeasures.NdcgAtEachCutoff(Labels, floatScores, ndcgF, o);
            for (int k = 1; k <= 9; k++)
            {
                Assert.AreEqual(RankingMeasures.Ndcg(Labels, Scores, k, o), ndcg[k - 1], 1e-15, $"{rule} NDCG@{k}");
                Assert.AreEqual(RankingMeasures.Dcg(Labels, Scores, k, o), dcg[k - 1], 1e-12, $"{rule} DCG@{k}");
                Assert.AreEqual(ndcg[k - 1], ndcgF[k - 1], 0, $"{rule} float NDCG@{k}");
                Assert.AreEqual(RankingMeasures.Ndcg(Labels, Scores, k, o), RankingMeasures.Ndcg(Labels, floatScores, k, o), 0);
                Assert.AreEqual(RankingMeasures.ExpectedReciprocalRank(Labels, Scores, k, o), RankingMeasures.ExpectedReciprocalRank(Labels, floatScores, k, o), 0);
                Assert.AreEqual(RankingMeasures.AveragePrecision(Labels, Scores, k, o), RankingMeasures.AveragePrecision(Labels, floatScores, k, o), 0);
                Assert.AreEqual(RankingMeasures.ReciprocalRank(Labels, Scores, k, o), RankingMeasures.ReciprocalRank(Labels, floatScores, k, o), 0);
            }
        }
    }

    [TestMethod]
    public void Ties_SignedZeroAndInfinities_OrderAsNumbers()
    {
        // -0.0 and 0.0 are one tie group (input order under the stable rule); infinities rank first and last.
        float[] labels = [1, 2, 0, 3];
        double[] scores = [-0.0, 0.0, double.NegativeInfinity, double.PositiveInfinity];
        // Stable: labels 3, 1, 2, 0 -> DCG@2 = 7 + 1/log2(3).
        Assert.AreEqual(7 + 1 / Math.Log2(3), RankingMeasures.Dcg(labels, scores, 2), Tol);
        Assert.AreEqual(7 + 3 / Math.Log2(3), RankingMeasures.Dcg(labels, scores, 2, Ties(RankingTieRule.Optimistic)), Tol);
        Assert.AreEqual(7 + 2 / Math.Log2(3), RankingMeasures.Dcg(labels, scores, 2, Ties(RankingTieRule.Averaged)), Tol);
    }

    [TestMethod]
    public void PessimisticAndOptimistic_FractionalAndLargeLabels_OrderTiesByLabel()
    {
        // Labels that do not fit the packed (score, label, index) key: fractional, and above 255. One tie group of
        // three at score 1 (labels 0.5, 300, 2), then label 1 alone at score 0. Linear gain, so DCG is hand-checkable.
        float[] labels = [0.5f, 300, 2, 1];
        float[] scores = [1, 1, 1, 0];
        var linear = new RankingMetricOptions { Gain = RankingGain.Linear, TieRule = RankingTieRule.Pessimistic };
        // Pessimistic: 0.5, 2, 300, 1 -> 0.5 + 2/log2(3) + 300/2 + 1/log2(5).
        Assert.AreEqual(0.5 + 2 / Math.Log2(3) + 150 + 1 / Math.Log2(5), RankingMeasures.Dcg(labels, scores, 4, linear), 1e-12);
        Assert.AreEqual(0.5 + 2 / Math.Log2(3) + 150 + 1 / Math.Log2(5), RankingMeasures.Dcg(labels, scores.Select(x => (double)x).ToArray(), 4, linear), 1e-12);
        var optimistic = new RankingMetricOptions { Gain = RankingGain.Linear, TieRule = RankingTieRule.Optimistic };
        // Optimistic: 300, 2, 0.5, 1.
        Assert.AreEqual(300 + 2 / Math.Log2(3) + 0.5 / 2 + 1 / Math.Log2(5), RankingMeasures.Dcg(labels, scores, 4, optimistic), 1e-12);
        // Whole labels below 256 take the packed path: the same orders.
        float[] small = [1, 4, 2, 1];
        var table = new RankingMetricOptions { Gain = RankingGain.Linear, TieRule = RankingTieRule.Pessimistic };
        Assert.AreEqual(1 + 2 / Math.Log2(3) + 4 / 2.0 + 1 / Math.Log2(5), RankingMeasures.Dcg(small, scores, 4, table), 1e-12);
    }

    [TestMethod]
    public void LargeQuery_AllRulesAgreeWithoutTies_AndAveragedIsBetweenPessimisticAndOptimistic()
    {
        var random = new Random(7);
        int n = 5000;
        var labels = new float[n];
        var distinct = new double[n];
        var tied = new double[n];
        for (int i = 0; i < n; i++)
        {
            labels[i] = random.Next(5);
            distinct[i] = random.NextDouble() + labels[i] * 0.01;
            tied[i] = Math.Round(distinct[i] * 40) / 40;
        }
        foreach (var rule in Enum.GetValues<RankingTieRule>())
            Assert.AreEqual(RankingMeasures.Ndcg(labels, distinct, 100), RankingMeasures.Ndcg(labels, distinct, 100, Ties(rule)), 1e-12, rule.ToString());
        foreach (var measure in new Func<RankingMetricOptions, double>[]
                 {
                     o => RankingMeasures.Ndcg(labels, tied, 100, o),
                     o => RankingMeasures.AveragePrecision(labels, tied, 500, o),
                     o => RankingMeasures.ExpectedReciprocalRank(labels, tied, 50, o),
                 })
        {
            double low = measure(Ties(RankingTieRule.Pessimistic));
            double mid = measure(Ties(RankingTieRule.Averaged));
            double high = measure(Ties(RankingTieRule.Optimistic));
            Assert.IsTrue(low < mid && mid < high, $"{low} < {mid} < {high}");
        }
    }

    [TestMethod]
    public void SpanFunctions_AllocateNothingAfterWarmUp()
    {
        var random = new Random(3);
        var labels = Enumerable.Range(0, 300).Select(_ => (float)random.Next(5)).ToArray();
        var scores = Enumerable.Range(0, 300).Select(_ => Math.Round(random.NextDouble() * 20)).ToArray();
        var curve = new double[10];
        var options = Ties(RankingTieRule.Averaged);
        void All()
        {
            RankingMeasures.Ndcg(labels, scores, 10);
            RankingMeasures.Ndcg(labels, scores, 10, RankingMetricOptions.MLNet);
            RankingMeasures.NdcgAtEachCutoff(labels, scores, curve, options);
            RankingMeasures.AveragePrecision(labels, scores, 10, options);
            RankingMeasures.ExpectedReciprocalRank(labels, scores, 10, options);
            RankingMeasures.ReciprocalRank(labels, scores);
        }
        All();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++)
            All();
        Assert.AreEqual(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [TestMethod]
    public void BadInput_ThrowsNamingTheProblem()
    {
        double[] s = [1, 2];
        var e = Assert.ThrowsExactly<ArgumentException>(() => RankingMeasures.Ndcg([1f, float.NaN], s, 2));
        StringAssert.Contains(e.Message, "labels[1] is NaN");
        e = Assert.ThrowsExactly<ArgumentException>(() => RankingMeasures.Ndcg([1f, -1f], s, 2));
        StringAssert.Contains(e.Message, "labels[1] is -1");
        e = Assert.ThrowsExactly<ArgumentException>(() => RankingMeasures.Ndcg([1f, 2f], [1, double.NaN], 2));
        StringAssert.Contains(e.Message, "scores[1] is NaN");
        e = Assert.ThrowsExactly<ArgumentException>(() => RankingMeasures.Ndcg([1f, 2f, 0f], s, 2));
        StringAssert.Contains(e.Message, "labels has 3 values and scores has 2");
        var k = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => RankingMeasures.Ndcg([1f, 2f], s, 0));
        Assert.AreEqual("k", k.ParamName);
        StringAssert.Contains(k.Message, "got 0");
        e = Assert.ThrowsExactly<ArgumentException>(() => RankingMeasures.Ndcg([1.5f, 2f], s, 2, RankingMetricOptions.MLNet));
        StringAssert.Contains(e.Message, "labels[0] is 1.5; the gain table table [0, 3, 7, 15, 31] needs whole-number labels 0..4");
        e = Assert.ThrowsExactly<ArgumentException>(() => RankingMeasures.Ndcg([5f, 2f], s, 2, RankingMetricOptions.MLNet));
        StringAssert.Contains(e.Message, "labels[0] is 5");
        e = Assert.ThrowsExactly<ArgumentException>(() => RankingMeasures.ExpectedReciprocalRank([4f, 2f], s, options: new RankingMetricOptions { ErrMaximumLabel = 3 }));
        StringAssert.Contains(e.Message, "above ErrMaximumLabel = 3");
        e = Assert.ThrowsExactly<ArgumentException>(() => RankingMeasures.NdcgAtEachCutoff([1f, 2f], s, Span<double>.Empty));
        StringAssert.Contains(e.Message, "at least one element");
    }

    [TestMethod]
    public void Mean_WeightsExclusionAndPerQueryValues_ByHand()
    {
        // Query 0: labels [1, 0], scores [0, 1] -> NDCG@2 = (1/log2(3)) / 1; query 1: all zero; query 2: [2, 1] ranked right -> 1.
        float[] labels = [1, 0, 0, 0, 2, 1];
        double[] scores = [0, 1, 5, 4, 3, 2];
        int[] offsets = [0, 2, 4, 6];
        double first = 1 / Math.Log2(3);
        var perQuery = new double[3];
        Assert.AreEqual((first + 1 + 1) / 3, RankingMeasures.Mean(RankingMeasure.Ndcg, labels, scores, offsets, 2, perQuery: perQuery), 1e-15);
        CollectionAssert.AreEqual(new[] { first, 1, 1 }, perQuery);
        var exclude = new RankingMetricOptions { IdcgZeroPolicy = IdcgZeroPolicy.Exclude };
        Assert.AreEqual((first + 1) / 2, RankingMeasures.Mean(RankingMeasure.Ndcg, labels, scores, offsets, 2, exclude, perQuery: perQuery), 1e-15);
        Assert.IsTrue(double.IsNaN(perQuery[1]));
        // Weights 3, 5, 1: (3 first + 5 * 1 + 1 * 1) / 9; excluding query 1: (3 first + 1) / 4.
        double[] weights = [3, 5, 1];
        Assert.AreEqual((3 * first + 6) / 9, RankingMeasures.Mean(RankingMeasure.Ndcg, labels, scores, offsets, 2, queryWeights: weights), 1e-15);
        Assert.AreEqual((3 * first + 1) / 4, RankingMeasures.Mean(RankingMeasure.Ndcg, labels, scores, offsets, 2, exclude, weights), 1e-15);
        // Every query excluded: NaN.
        Assert.IsTrue(double.IsNaN(RankingMeasures.Mean(RankingMeasure.Ndcg, new float[] { 0, 0 }, new double[] { 1, 2 }, new[] { 0, 2 }, 2, exclude)));
        // MRR: 1/2, 0, 1.
        Assert.AreEqual(0.5, RankingMeasures.Mean(RankingMeasure.ReciprocalRank, labels, scores, offsets, int.MaxValue), 1e-15);
    }

    [TestMethod]
    public void Mean_BadOffsetsAndWeights_ThrowNamingThem()
    {
        float[] labels = [1, 0, 2];
        double[] scores = [1, 2, 3];
        var e = Assert.ThrowsExactly<ArgumentException>(() => RankingMeasures.Mean(RankingMeasure.Ndcg, labels, scores, new[] { 0, 2, 2, 3 }, 5));
        StringAssert.Contains(e.Message, "query 1 is rows [2, 2)");
        e = Assert.ThrowsExactly<ArgumentException>(() => RankingMeasures.Mean(RankingMeasure.Ndcg, labels, scores, new[] { 0, 2 }, 5));
        StringAssert.Contains(e.Message, "The last offset must be the row count 3; got 2");
        e = Assert.ThrowsExactly<ArgumentException>(() => RankingMeasures.Mean(RankingMeasure.Ndcg, labels, scores, new[] { 1, 3 }, 5));
        StringAssert.Contains(e.Message, "offsets[0] must be 0; got 1");
        e = Assert.ThrowsExactly<ArgumentException>(() => RankingMeasures.Mean(RankingMeasure.Ndcg, labels, scores, new[] { 0, 1, 3 }, 5, queryWeights: new[] { 1.0, -2 }));
        StringAssert.Contains(e.Message, "queryWeights[1] is -2");
        e = Assert.ThrowsExactly<ArgumentException>(() => RankingMeasures.Mean(RankingMeasure.Ndcg, new float[] { 1, -1, 2 }, scores, new[] { 0, 1, 3 }, 5));
        StringAssert.Contains(e.Message, "labels[1] (query 1) is -1");
        e = Assert.ThrowsExactly<ArgumentException>(() => RankingMeasures.Mean(RankingMeasure.Ndcg, labels, scores, new[] { 0, 1, 3 }, 5, perQuery: new double[3]));
        StringAssert.Contains(e.Message, "perQuery must be empty or have one slot per query (2); got 3");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => RankingMeasures.Mean(RankingMeasure.Ndcg, labels, scores, new[] { 0, 3 }, 0));
    }

    [TestMethod]
    public void BadOptions_ThrowNamingTheOption()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new RankingMetricOptions { RelevanceThreshold = 0 });
        Assert.AreEqual(nameof(RankingMetricOptions.RelevanceThreshold), e.ParamName);
        e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new RankingMetricOptions { ErrMaximumLabel = -1 });
        Assert.AreEqual(nameof(RankingMetricOptions.ErrMaximumLabel), e.ParamName);
        e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new RankingMetricOptions { TieRule = (RankingTieRule)9 });
        StringAssert.Contains(e.Message, "TieRule' has the unknown value 9");
        var a = Assert.ThrowsExactly<ArgumentException>(() => RankingGain.Table(0, double.NaN));
        StringAssert.Contains(a.Message, "Gain of label 1 must be a finite number >= 0; got NaN");
        Assert.ThrowsExactly<ArgumentException>(() => RankingGain.Table());
    }
}
