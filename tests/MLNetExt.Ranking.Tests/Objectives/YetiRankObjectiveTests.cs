using MLNetExt.Ranking.Engine;
using MLNetExt.Ranking.Objectives;

namespace MLNetExt.Ranking.Tests.Objectives;

/// <summary>The fixed uniforms of an oracle: row = permutation, column = document.</summary>
internal sealed class FixedUniforms(double[][] uniforms) : IYetiRankUniformSource
{
    public void Fill(int iteration, int query, int permutation, Span<double> target) => uniforms[permutation].CopyTo(target);
}

[TestClass]
public sealed class YetiRankObjectiveTests
{
    // Spec ranking.md §8.3: labels [2,0,1,0], scores [0.5,0.2,-0.3,0.1], P = 3 permutations with these uniforms;
    // noisy value exp(s) U / (1.000001 - U) gives the orders [2,0,3,1], [3,1,2,0], [2,0,1,3].
    internal static readonly float[] Labels = [2, 0, 1, 0];
    internal static readonly double[] Scores = [0.5, 0.2, -0.3, 0.1];
    internal static readonly double[][] Uniforms =
    [
        [0.62, 0.15, 0.83, 0.40],
        [0.05, 0.71, 0.33, 0.92],
        [0.48, 0.48, 0.90, 0.11],
    ];

    internal static YetiRankObjective Make(YetiRankSettings settings, float[]? labels = null, double[][]? uniforms = null, float[]? weights = null)
    {
        labels ??= Labels;
        var objective = new YetiRankObjective(settings with { Permutations = (uniforms ?? Uniforms).Length }, new FixedUniforms(uniforms ?? Uniforms));
        objective.Initialize(new RankingObjectiveData(new QueryGroups(labels, [0, labels.Length], weights), 0, 1, 0.1));
        return objective;
    }

    /// <summary>Each oracle: settings, labels, the non-zero averaged pair weights (winner, loser, W), g and h.</summary>
    public static IEnumerable<object[]> Oracles =>
    [
        // Spec §8.3 Classic (hand check there): perm 1 gives (0 over 2) 0.15, (0 over 3) 0.15 * 0.85 * 2 = 0.255;
        // perm 2 (2 over 1) 0.1275 and (0 over 2) 0.108375; perm 3 (0 over 2) 0.15, (0 over 1) 0.255; divided by 3.
        ["Classic", new YetiRankSettings(), Labels,
            new[] { (0, 1, 0.085), (0, 2, 0.136125), (0, 3, 0.085), (2, 1, 0.0425) },
            new[] { -0.112486158718, 0.062626907647, 0.015747702180, 0.034111548890 },
            new[] { 0.070319577321, 0.030766614262, 0.039106115207, 0.020422163388 }],
        // Spec §8.3 mode=NDCG, num_neighbors=1 (Base gain, LogPosition).
        ["Ndcg", new YetiRankSettings { Mode = YetiRankMode.Ndcg }, Labels,
            new[] { (0, 1, 0.033177055473), (0, 2, 0.102304002820), (0, 3, 0.033177055473), (2, 1, 0.016588527737) },
            new[] { -0.059149957546, 0.024444428108, 0.021391167676, 0.013314361763 },
            new[] { 0.037965369253, 0.012008772566, 0.025782183794, 0.007971144090 }],
        // Spec §8.3 mode=NDCG, num_neighbors=-1.
        ["Ndcg all neighbours", new YetiRankSettings { Mode = YetiRankMode.Ndcg, NumberOfNeighbors = -1 }, Labels,
            new[] { (0, 1, 0.134663710638), (0, 2, 0.102304002820), (0, 3, 0.228184577404), (2, 1, 0.152069586030), (2, 3, 0.198830019412) },
            new[] { -0.180597288017, 0.151964282592, -0.181977360342, 0.210610365766 },
            new[] { 0.109627278278, 0.068656580579, 0.105391784166, 0.102594845474 }],
        // Spec §8.3 mode=DCG, dcg_type=Exp, top=2, num_neighbors=1.
        ["Dcg exp top 2", new YetiRankSettings { Mode = YetiRankMode.Dcg, DcgGain = YetiRankDcgGain.Exponential, Top = 2 }, Labels,
            new[] { (0, 1, 0.630929753571), (0, 2, 0.492093661905), (0, 3, 0.630929753571), (2, 1, 0.210309917857) },
            new[] { -0.674258366575, 0.399406248813, 0.021652222051, 0.253199895710 },
            new[] { 0.411087281335, 0.203659633763, 0.154687217287, 0.151587653104 }],
        // The values below come from our own float64 port of yetirank_helpers.cpp @e377cfa, yetirank_oracle.py beside
        // this file (python3 with numpy; it reproduces every §8.3 value above; the tests do not run it). Denominator
        // Position, top 3, 2 neighbours: e.g. perm 1 [2,0,3,1], t=1: (0 over 2) |1-2| |1 - 1/2| = 0.5, (2 over 3) |1| |1 - 1/3| = 2/3.
        ["Dcg position top 3, 2 neighbours", new YetiRankSettings
            { Mode = YetiRankMode.Dcg, DcgDenominator = YetiRankDcgDenominator.Position, Top = 3, NumberOfNeighbors = 2 }, Labels,
            new[] { (0, 1, 0.777777777778), (0, 2, 0.444444444444), (0, 3, 0.444444444444), (2, 1, 0.277777777778), (2, 3, 0.444444444444) },
            new[] { -0.64713931304, 0.503894523369, -0.301199654774, 0.444444444444 },
            new[] { 0.39198777232, 0.255413051371, 0.267132338839, 0.213565107326 }],
        // MRR, one neighbour: only perm 2 [3,1,2,0] reaches a relevant document at position 3 after pairing (1, 2):
        // (2 over 1) 1/2 - 1/3 = 1/6, divided by 3.
        ["Mrr", new YetiRankSettings { Mode = YetiRankMode.Mrr }, Labels,
            new[] { (2, 1, 0.055555555556) },
            new[] { 0.0, 0.034581073956, -0.034581073956, 0.0 },
            new[] { 0.0, 0.013055761789, 0.013055761789, 0.0 }],
        ["Mrr all neighbours", new YetiRankSettings { Mode = YetiRankMode.Mrr, NumberOfNeighbors = -1 }, Labels,
            new[] { (0, 1, 0.083333333333), (0, 3, 0.25), (2, 1, 0.527777777778), (2, 3, 0.694444444444) },
            new[] { -0.135791208571, 0.363983326178, -0.744275522101, 0.516083404494 },
            new[] { 0.08043671241, 0.14440126297, 0.290877477094, 0.226912926534 }],
        ["Map all neighbours", new YetiRankSettings { Mode = YetiRankMode.Map, NumberOfNeighbors = -1 }, Labels,
            new[] { (0, 1, 0.611111111111), (0, 3, 0.777777777778), (2, 1, 1.166666666667), (2, 3, 1.333333333333) },
            new[] { -0.572194726305, 0.986265459462, -1.524452766552, 1.110382033396 },
            new[] { 0.336260659388, 0.423562188046, 0.594518658557, 0.507217129899 }],
        // ERR reads labels as probabilities: labels [0.75, 0.125, 0.5, 0] (exact in float), same orders.
        ["Err all neighbours", new YetiRankSettings { Mode = YetiRankMode.Err, NumberOfNeighbors = -1 }, new float[] { 0.75f, 0.125f, 0.5f, 0 },
            new[] { (0, 1, 0.086805555556), (0, 2, 0.089409722222), (0, 3, 0.221354166667), (1, 3, 0.021701388889), (2, 1, 0.158854166667),
                (2, 3, 0.291232638889) },
            new[] { -0.153492207842, 0.125512400708, -0.245518349943, 0.273498157076 },
            new[] { 0.093528663259, 0.06396346485, 0.126428696416, 0.128566294588 }],
        ["Err top 2", new YetiRankSettings { Mode = YetiRankMode.Err, Top = 2 }, new float[] { 0.75f, 0.125f, 0.5f, 0 },
            new[] { (0, 1, 0.017361111111), (0, 2, 0.083333333333), (0, 3, 0.020833333333), (1, 3, 0.020833333333), (2, 1, 0.020833333333) },
            new[] { -0.041584284403, 0.010459786556, 0.012867557173, 0.018256940675 },
            new[] { 0.027075308158, 0.014335312753, 0.022721718714, 0.010200766374 }],
        // Fractional grades, Classic: perm 1 (0 over 2) 0.15 * 0.75, (0 over 3) 0.15 * 0.85 * 1.5, (1 over 3) 0.15 * 0.85² * 0.25 ...
        ["Classic fractional", new YetiRankSettings(), new float[] { 1.5f, 0.25f, 0.75f, 0 },
            new[] { (0, 1, 0.053125), (0, 2, 0.10209375), (0, 3, 0.06375), (1, 3, 0.0305625), (2, 1, 0.02125) },
            new[] { -0.07984307078, 0.0213171785, 0.018424407029, 0.040101485251 },
            new[] { 0.050142313429, 0.025602231921, 0.026832671963, 0.022938177769 }],
    ];

    [TestMethod]
    [DynamicData(nameof(Oracles))]
    public void FixedDraws_PairWeightsAndGradients_MatchOracleWithin1e9(string name, object settings, float[] labels,
        (int Winner, int Loser, double Weight)[] pairs, double[] g, double[] h)
    {
        var objective = Make((YetiRankSettings)settings, labels);
        var w = new double[16];
        objective.AddPairWeights(0, 0, Scores, w);
        var expected = new double[16];
        foreach (var (winner, loser, weight) in pairs)
            expected[winner * 4 + loser] = weight;
        for (int k = 0; k < 16; k++)
            Assert.AreEqual(expected[k], w[k], 1e-9, $"{name}: W[{k / 4}][{k % 4}]");

        var grad = new double[4];
        var hess = new double[4];
        objective.ComputeInDouble(0, Scores, grad, hess);
        for (int i = 0; i < 4; i++)
        {
            Assert.AreEqual(g[i], grad[i], 1e-9, $"{name}: gradient {i}");
            Assert.AreEqual(h[i], hess[i], 1e-9, $"{name}: hessian {i}");
        }
        Assert.AreEqual(0.0, grad.Sum(), 1e-15, "PairLogit gradients of a query sum to zero");

        // The float path the engine uses agrees to float precision.
        var gf = new float[4];
        var hf = new float[4];
        objective.GetGradients(0, Scores, gf, hf);
        for (int i = 0; i < 4; i++)
        {
            Assert.AreEqual((float)grad[i], gf[i], $"{name}: float gradient {i}");
            Assert.AreEqual((float)hess[i], hf[i], $"{name}: float hessian {i}");
        }
    }

    [TestMethod]
    public void Classic_ExpectationOverTheNoise_MatchesSpecMonteCarloWithin5StandardErrors()
    {
        // Spec §8.3: Classic, E over single-permutation draws (200,000 draws, seed 7; the oracle's own standard error is
        // at most 3.0e-4 per entry). Ours: 40,000 iterations of one permutation each, from the objective's own stream.
        const int draws = 40_000;
        var objective = new YetiRankObjective(new YetiRankSettings { Permutations = 1 });
        objective.Initialize(new RankingObjectiveData(new QueryGroups(Labels, [0, 4]), 7, 1, 0.1));
        var sum = new double[16];
        var sumSquares = new double[16];
        var w = new double[16];
        for (int it = 0; it < draws; it++)
        {
            Array.Clear(w);
            objective.AddPairWeights(it, 0, Scores, w);
            for (int k = 0; k < 16; k++)
            {
                sum[k] += w[k];
                sumSquares[k] += w[k] * w[k];
            }
        }
        (int, int, double)[] oracle = [(0, 1, 0.13567), (0, 2, 0.06194), (0, 3, 0.13264), (2, 1, 0.06232), (2, 3, 0.06263)];
        var expected = new double[16];
        foreach (var (a, b, e) in oracle)
            expected[a * 4 + b] = e;
        for (int k = 0; k < 16; k++)
        {
            double mean = sum[k] / draws;
            double se = Math.Sqrt(Math.Max(sumSquares[k] / draws - mean * mean, 0) / draws);
            double combined = Math.Sqrt(se * se + 3.0e-4 * 3.0e-4);
            if (expected[k] == 0)
                Assert.AreEqual(0.0, mean, 0.0, $"W[{k / 4}][{k % 4}] can never be a pair");
            else
                Assert.AreEqual(expected[k], mean, 5 * combined, $"E[W[{k / 4}][{k % 4}]] (our standard error {se:G3})");
        }
    }

    [TestMethod]
    public void LogisticNoise_IsNotGumbel_TheExpectationTestCanTellThemApart()
    {
        // The test above has the power to catch Gumbel noise: E[W][0][1] under Gumbel noise is 0.1455 (numpy, 200,000
        // draws), 0.0098 above the logistic value, while 5 combined standard errors are below 0.004. Check the bound.
        double se = Math.Sqrt(Math.Pow(0.255 / 2, 2) / 40_000 + 3.0e-4 * 3.0e-4); // W[0][1] lies in [0, 0.255]
        Assert.IsTrue(5 * se < 0.1455 - 0.13567, $"5 standard errors = {5 * se}");
    }

    [TestMethod]
    public void SameSeed_SameGradients_AndOneOrTwoThreads_BitIdentical()
    {
        var data = Support.Synthetic.Make(400, 1, 60, 5, seed: 5, weights: true);
        var scores = Enumerable.Range(0, data.RowCount).Select(i => Math.Sin(i * 0.37)).ToArray();
        foreach (var settings in new[]
        {
            new YetiRankSettings(),
            new YetiRankSettings { Mode = YetiRankMode.Ndcg, Top = 10, NumberOfNeighbors = -1 },
            new YetiRankSettings { Noise = YetiRankNoise.Gauss, NoisePower = 0.5 },
        })
        {
            float[] Run(int threads, int seed, int iteration)
            {
                var o = new YetiRankObjective(settings);
                o.Initialize(new RankingObjectiveData(data.Groups(), seed, threads, 0.1));
                var g = new float[data.RowCount];
                var h = new float[data.RowCount];
                o.GetGradients(iteration, scores, g, h);
                return [.. g, .. h];
            }
            var one = Run(1, 3, 4);
            CollectionAssert.AreEqual(one, Run(2, 3, 4), $"{settings.Mode}/{settings.Noise}: 2 threads");
            CollectionAssert.AreEqual(one, Run(5, 3, 4), $"{settings.Mode}/{settings.Noise}: 5 threads");
            CollectionAssert.AreEqual(one, Run(1, 3, 4), "same seed again");
            CollectionAssert.AreNotEqual(one, Run(1, 4, 4), "another seed draws other permutations");
            CollectionAssert.AreNotEqual(one, Run(1, 3, 5), "another iteration draws other permutations");
        }
    }

    [TestMethod]
    public void SortDescendingStable_IsExact_WithTiesNearTiesSignedZerosAndNegatives()
    {
        // Against LINQ's stable OrderByDescending: equal values keep document order; values one ulp apart, which the
        // 24-bit radix keys cannot tell apart, are still ordered exactly; -0.0 ties with +0.0; spreads from 1e-300 to
        // 1e300 and of both signs.
        var random = new Random(3);
        foreach (int n in new[] { 1, 2, 3, 7, 100, 257, 1000 })
        {
            for (int trial = 0; trial < 20; trial++)
            {
                var values = new double[n];
                for (int i = 0; i < n; i++)
                {
                    values[i] = (random.Next(4)) switch
                    {
                        0 => Math.Round(random.NextDouble() * 4) / 4, // many exact ties
                        1 => Math.BitIncrement(0.5), // ties at 0.5 + 1 ulp
                        2 => random.Next(2) == 0 ? Math.BitDecrement(0.5) : 0.5, // one ulp apart
                        _ => (random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-300, 300)),
                    };
                }
                if (n > 2)
                {
                    values[0] = -0.0;
                    values[1] = 0.0;
                }
                var order = new int[n];
                YetiRankObjective.SortDescendingStable(values, new YetiRankObjective.SortBuffers(n), order);
                var expected = Enumerable.Range(0, n).OrderByDescending(i => values[i]).ToArray();
                CollectionAssert.AreEqual(expected, order, $"n {n}, trial {trial}");
            }
        }
    }

    [TestMethod]
    public void OneDocument_AndAllEqualLabels_GiveZeroGradients()
    {
        // Query 0: one document; query 1: labels all 2; query 2: labels all 0; query 3: a normal pair.
        foreach (var mode in Enum.GetValues<YetiRankMode>())
        {
            var objective = new YetiRankObjective(new YetiRankSettings { Mode = mode });
            objective.Initialize(new RankingObjectiveData(new QueryGroups([1, 1, 1, 1, 0, 0, 0, 1, 0], [0, 1, 4, 7, 9]), 0, 2, 0.1));
            var g = new float[9];
            var h = new float[9];
            objective.GetGradients(0, [0.5, 0.1, 0.2, 0.3, 0.0, -1, 2, 0.0, 0.0], g, h);
            CollectionAssert.AreEqual(new float[7], g[..7], $"{mode}");
            CollectionAssert.AreEqual(new float[7], h[..7], $"{mode}");
            Assert.IsTrue(g[7] < 0 && g[8] > 0 && h[7] > 0, $"{mode}: the relevant document is pushed up");
        }
    }

    [TestMethod]
    public void QueryWeight_MultipliesGradientsAndHessians()
    {
        var plain = Make(new YetiRankSettings());
        var weighted = Make(new YetiRankSettings(), weights: [2.5f, 2.5f, 2.5f, 2.5f]);
        var g1 = new float[4]; var h1 = new float[4]; var g2 = new float[4]; var h2 = new float[4];
        plain.GetGradients(0, Scores, g1, h1);
        weighted.GetGradients(0, Scores, g2, h2);
        for (int i = 0; i < 4; i++)
        {
            Assert.AreEqual(2.5f * g1[i], g2[i]);
            Assert.AreEqual(2.5f * h1[i], h2[i]);
        }
    }

    [TestMethod]
    public void NoNoise_IsTheCurrentRanking_AndTinyGaussNoiseGivesTheSame()
    {
        // Noise None: one permutation, the order by score [0, 1, 3, 2]: Classic pairs (0 over 1) 0.15 * 2,
        // (3, 1) equal labels, decay twice, then (2 over 3) 0.15 * 0.85² * 1.
        var none = new YetiRankObjective(new YetiRankSettings { Noise = YetiRankNoise.None });
        none.Initialize(new RankingObjectiveData(new QueryGroups(Labels, [0, 4]), 0, 1, 0.1));
        var w = new double[16];
        none.AddPairWeights(0, 0, Scores, w);
        Assert.AreEqual(0.3, w[0 * 4 + 1], 1e-15);
        Assert.AreEqual(0.15 * 0.85 * 0.85, w[2 * 4 + 3], 1e-15);
        Assert.AreEqual(0.3 + 0.15 * 0.85 * 0.85, w.Sum(), 1e-15);

        var gauss = new YetiRankObjective(new YetiRankSettings { Noise = YetiRankNoise.Gauss, NoisePower = 1e-9 });
        gauss.Initialize(new RankingObjectiveData(new QueryGroups(Labels, [0, 4]), 0, 1, 0.1));
        var wg = new double[16];
        gauss.AddPairWeights(0, 0, Scores, wg);
        for (int k = 0; k < 16; k++)
            Assert.AreEqual(w[k], wg[k], 1e-15, $"W[{k / 4}][{k % 4}]: 10 permutations of a 1e-9 noise are the current ranking");
    }

    [TestMethod]
    public void NoNoise_TiedScores_KeepDocumentOrder()
    {
        // All scores equal: the stable order is 0, 1, 2, 3; Classic pairs (0 over 1) 0.15 * 2, (2 over 1) 0.15 * 0.85,
        // (2 over 3) 0.15 * 0.85².
        var none = new YetiRankObjective(new YetiRankSettings { Noise = YetiRankNoise.None });
        none.Initialize(new RankingObjectiveData(new QueryGroups(Labels, [0, 4]), 0, 1, 0.1));
        var w = new double[16];
        none.AddPairWeights(0, 0, [0.25, 0.25, 0.25, 0.25], w);
        Assert.AreEqual(0.3, w[0 * 4 + 1], 1e-15);
        Assert.AreEqual(0.1275, w[2 * 4 + 1], 1e-15);
        Assert.AreEqual(0.108375, w[2 * 4 + 3], 1e-15);
        Assert.AreEqual(0.3 + 0.1275 + 0.108375, w.Sum(), 1e-15);
    }

    [TestMethod]
    public void ScoresSpanningMoreThan500_AreHandledInLogSpace()
    {
        // Noise None, labels [1, 0, 2], scores [0, -600, -1200] (exp(-1200) underflows): order 0, 1, 2;
        // (0 over 1) weight 0.15 with p = sigmoid(-600); (2 over 1) weight 0.15 * 0.85 * 2 = 0.255 with p = sigmoid(600) = 1.
        var objective = new YetiRankObjective(new YetiRankSettings { Noise = YetiRankNoise.None });
        objective.Initialize(new RankingObjectiveData(new QueryGroups([1, 0, 2], [0, 3]), 0, 1, 0.1));
        var g = new double[3];
        var h = new double[3];
        objective.ComputeInDouble(0, [0, -600, -1200], g, h);
        double p01 = Math.Exp(-600) / (1 + Math.Exp(-600));
        Assert.AreEqual(-0.15 * p01, g[0], 1e-300);
        Assert.AreEqual(0.255, g[1], 1e-15);
        Assert.AreEqual(-0.255, g[2], 1e-15);
        Assert.AreEqual(0.15 * p01 * (1 - p01), h[0], 1e-300);
        Assert.IsTrue(h.All(double.IsFinite));

        // With logistic noise too: finite, and shifting every score by a constant changes nothing.
        var noisy = new YetiRankObjective(new YetiRankSettings());
        noisy.Initialize(new RankingObjectiveData(new QueryGroups([1, 0, 2], [0, 3]), 0, 1, 0.1));
        var g2 = new double[3];
        var h2 = new double[3];
        noisy.ComputeInDouble(0, [0, -600, -1200], g2, h2);
        Assert.IsTrue(g2.All(double.IsFinite) && h2.All(double.IsFinite));
        var g3 = new double[3];
        var h3 = new double[3];
        noisy.ComputeInDouble(0, [1000, 400, -200], g3, h3);
        for (int i = 0; i < 3; i++)
            Assert.AreEqual(g2[i], g3[i], 1e-15);
    }

    [TestMethod]
    public void GetGradients_OneThread_AllocatesNothing()
    {
        var data = Support.Synthetic.Make(50, 5, 40, 5, seed: 9);
        var scores = Enumerable.Range(0, data.RowCount).Select(i => Math.Cos(i * 0.11)).ToArray();
        var objective = new YetiRankObjective(new YetiRankSettings { Mode = YetiRankMode.Ndcg, NumberOfNeighbors = -1 });
        objective.Initialize(new RankingObjectiveData(data.Groups(), 1, 1, 0.1));
        var g = new float[data.RowCount];
        var h = new float[data.RowCount];
        objective.GetGradients(0, scores, g, h); // JIT
        long before = GC.GetAllocatedBytesForCurrentThread();
        objective.GetGradients(1, scores, g, h);
        Assert.AreEqual(0, GC.GetAllocatedBytesForCurrentThread() - before, "bytes allocated by one iteration");
    }

    [TestMethod]
    public void NegativeDecay_ThrowsNamingTheOption()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new YetiRankObjective(new YetiRankSettings { Decay = -0.5 }));
        Assert.AreEqual(nameof(YetiRankSettings.Decay), e.ParamName);
        StringAssert.Contains(e.Message, "must be in [0, 1]; got -0.5");
    }

    public static IEnumerable<object[]> InapplicableOptions =>
    [
        [new YetiRankSettings { Mode = YetiRankMode.Ndcg, Decay = 0.9 }, nameof(YetiRankSettings.Decay), "read by Mode Classic only; got 0.9 with Mode Ndcg"],
        [new YetiRankSettings { Top = 10 }, nameof(YetiRankSettings.Top), "not read by Mode Classic"],
        [new YetiRankSettings { NumberOfNeighbors = -1 }, nameof(YetiRankSettings.NumberOfNeighbors), "not read by Mode Classic"],
        [new YetiRankSettings { Mode = YetiRankMode.Mrr, DcgGain = YetiRankDcgGain.Exponential }, nameof(YetiRankSettings.DcgGain),
            "read by Modes Dcg and Ndcg only; got Exponential with Mode Mrr"],
        [new YetiRankSettings { DcgDenominator = YetiRankDcgDenominator.Position }, nameof(YetiRankSettings.DcgDenominator),
            "read by Modes Dcg and Ndcg only"],
        [new YetiRankSettings { NoisePower = 2 }, nameof(YetiRankSettings.NoisePower), "read by Noise Gauss only; got 2 with Noise Logistic"],
        [new YetiRankSettings { Mode = (YetiRankMode)17 }, nameof(YetiRankSettings.Mode), "must be one of Classic, Dcg, Ndcg, Mrr, Err, Map; got 17"],
        [new YetiRankSettings { Noise = (YetiRankNoise)5 }, nameof(YetiRankSettings.Noise), "got 5"],
        [new YetiRankSettings { Mode = YetiRankMode.Ndcg, Top = 0 }, nameof(YetiRankSettings.Top), "at least 1 when set; got 0"],
        [new YetiRankSettings { Mode = YetiRankMode.Ndcg, NumberOfNeighbors = 0 }, nameof(YetiRankSettings.NumberOfNeighbors), "got 0"],
        [new YetiRankSettings { Permutations = 0 }, nameof(YetiRankSettings.Permutations), "must be in [1, 1000]; got 0"],
    ];

    [TestMethod]
    [DynamicData(nameof(InapplicableOptions))]
    public void UnknownOrInapplicableOption_ThrowsNamingIt(object settings, string option, string message)
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new YetiRankObjective((YetiRankSettings)settings));
        Assert.AreEqual(option, e.ParamName);
        StringAssert.Contains(e.Message, message);
        var p = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new YetiRankPairwiseObjective((YetiRankSettings)settings));
        Assert.AreEqual(option, p.ParamName);
    }

    [TestMethod]
    public void ErrMode_LabelAboveOne_ThrowsNamingTheRow()
    {
        var objective = new YetiRankObjective(new YetiRankSettings { Mode = YetiRankMode.Err });
        var e = Assert.ThrowsExactly<InvalidOperationException>(() =>
            objective.Initialize(new RankingObjectiveData(new QueryGroups([0.5f, 0, 2, 1], [0, 2, 4]), 0, 1, 0.1)));
        StringAssert.Contains(e.Message, "Label at row 2 is 2");
        StringAssert.Contains(e.Message, "Mode Err");
        StringAssert.Contains(e.Message, "[0, 1]");
    }

    [TestMethod]
    public void NaNLabel_IsRefusedBeforeTheObjectiveSeesIt()
    {
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => new QueryGroups([1, float.NaN, 0], [0, 3]));
        StringAssert.Contains(e.Message, "Label at row 1 is NaN");
    }

    [TestMethod]
    public void ExponentialGain_HugeLabel_ThrowsNamingTheRow()
    {
        var objective = new YetiRankObjective(new YetiRankSettings { Mode = YetiRankMode.Ndcg, DcgGain = YetiRankDcgGain.Exponential });
        var e = Assert.ThrowsExactly<InvalidOperationException>(() =>
            objective.Initialize(new RankingObjectiveData(new QueryGroups([1, 2000, 0], [0, 3]), 0, 1, 0.1)));
        StringAssert.Contains(e.Message, "row 1 is 2000");
    }
}
