using MLNetExt.Numerics;

namespace MLNetExt.Tests.Numerics;

/// <summary>
/// The counter-based generator: Random123's known-answer vectors, the documented (seed, stream, index) mapping, the
/// open-interval conversions, determinism independent of threads, and statistical smoke tests.
/// </summary>
/// <remarks>
/// Every statistical check uses fixed seeds, so it passes or fails the same way on every run; its bound is the
/// critical value at which a true uniform generator would fail that one check with probability 1e-6 (computed with
/// scipy 1.10.1: <c>stats.chi2.isf(1e-6, dof)</c>, <c>stats.norm.isf(0.5e-6)</c> = 4.8916 for two-sided normal
/// bounds, <c>stats.kstwo.isf(1e-6, n)</c>). They are smoke tests: a wrong mapping, a lost round or a biased
/// conversion fails them; the generator's quality itself rests on Philox's published BigCrush results.
/// </remarks>
[TestClass]
public sealed class CounterRandomTests
{
    private const double Z = 4.891638475698591; // two-sided normal bound at p = 1e-6

    // Random123 1.14, tests/kat_vectors (github.com/DEShawResearch/random123, commit 9545ff6), the three
    // "philox4x32 10" rows: counter (4 words), key (2 words), expected output (4 words).
    [TestMethod]
    [DataRow(0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u)]
    [DataRow(0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu)]
    [DataRow(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u, 0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u)]
    public void Philox4x32_10_MatchesRandom123KnownAnswers(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1,
        uint r0, uint r1, uint r2, uint r3)
    {
        Assert.AreEqual((r0, r1, r2, r3), CounterRandom.Philox4x32(c0, c1, c2, c3, k0, k1));
    }

    // An independent Python implementation of Philox4x32-10 written from the paper with Random123's constants (which
    // reproduces the three vectors above) and the mapping in CounterRandom's remarks: block j = index >> 1, counter
    // (j low, j high, stream low, stream high), key (seed low, seed high), even index -> r1:r0, odd -> r3:r2; the
    // double is ((bits >> 11) | 1) * 2^-53 and the float ((bits >> 40) | 1) * 2^-24.
    [TestMethod]
    [DataRow(42UL, 7UL, 0UL, 0xE55410CC67EE6F2CUL, 0.8958139895475427, 0.8958140015602112)]
    [DataRow(42UL, 7UL, 1UL, 0x557398D36C7ECA35UL, 0.333795119874135, 0.33379513025283813)]
    [DataRow(42UL, 7UL, 2UL, 0x600F6196E5DDE940UL, 0.3752346986201399, 0.3752346634864807)]
    [DataRow(42UL, 7UL, 3UL, 0x2C8ED8398FCDF8F1UL, 0.17405463605228266, 0.17405468225479126)]
    [DataRow(0xFFFFFFFFUL, 0x500000009UL, 0x10000000001UL, 0x2F41BE5006392CAEUL, 0.18459691480368134, 0.1845969557762146)]
    [DataRow(ulong.MaxValue, ulong.MaxValue, ulong.MaxValue, 0x71E0A347B949DA37UL, 0.44483395100659295, 0.4448339343070984)]
    public void Bits_MatchIndependentImplementationOfTheDocumentedMapping(ulong seed, ulong stream, ulong index,
        ulong expectedBits, double expectedDouble, double expectedSingle)
    {
        ulong bits = CounterRandom.Bits(seed, stream, index);
        Assert.AreEqual(expectedBits, bits);
        Assert.AreEqual(expectedDouble, CounterRandom.ToDouble(bits), 0);
        Assert.AreEqual((float)expectedSingle, CounterRandom.ToSingle(bits), 0);
    }

    [TestMethod]
    public void SeedKeyAndStream_PackWithoutCollisions()
    {
        Assert.AreEqual(0xFFFFFFFFUL, CounterRandom.SeedKey(-1));
        Assert.AreEqual(123UL, CounterRandom.SeedKey(123));
        Assert.AreEqual(0x0000000300000011UL, CounterRandom.Stream(3, 17));
        Assert.AreNotEqual(CounterRandom.Stream(1, 0), CounterRandom.Stream(0, 1));
        Assert.AreEqual(0x7FFFFFFF7FFFFFFFUL, CounterRandom.Stream(int.MaxValue, int.MaxValue));
    }

    [TestMethod]
    public void Stream_DrawsArePureFunctionValues_FromEvenAndOddStarts()
    {
        foreach (ulong start in new ulong[] { 0, 5, ulong.MaxValue - 10 })
        {
            var stream = new CounterRandomStream(seed: 9, stream: 1234, startIndex: start);
            for (ulong i = 0; i < 10; i++)
            {
                Assert.AreEqual(start + i, stream.Index);
                Assert.AreEqual(CounterRandom.Bits(9, 1234, start + i), stream.NextBits(), $"start {start}, draw {i}");
            }
        }
    }

    [TestMethod]
    public void Stream_SameArgumentsTwice_GiveIdenticalDraws_AndTheConversionsConsumeTheDocumentedDraws()
    {
        var a = new CounterRandomStream(1, 2);
        var b = new CounterRandomStream(1, 2);
        for (int i = 0; i < 1000; i++)
            Assert.AreEqual(a.NextBits(), b.NextBits());

        var s = new CounterRandomStream(1, 2);
        Assert.AreEqual(CounterRandom.ToDouble(CounterRandom.Bits(1, 2, 0)), s.NextDouble());
        Assert.AreEqual(CounterRandom.ToSingle(CounterRandom.Bits(1, 2, 1)), s.NextSingle());
        Assert.AreEqual(CounterRandom.ToNormal(CounterRandom.Bits(1, 2, 2), CounterRandom.Bits(1, 2, 3)), s.NextNormal());
        Assert.AreEqual(CounterRandom.ToLogistic(CounterRandom.Bits(1, 2, 4)), s.NextLogistic());
        Assert.AreEqual(CounterRandom.ToGumbel(CounterRandom.Bits(1, 2, 5)), s.NextGumbel());
        Assert.AreEqual(6UL, s.Index);
    }

    [TestMethod]
    public void ParallelUnits_GiveTheSameResultsForAnyThreadCount()
    {
        // One stream per unit of work (iteration 3, query q), as a ranking objective would use them.
        double[] Run(int threads)
        {
            var sums = new double[257];
            Parallel.For(0, sums.Length, new ParallelOptions { MaxDegreeOfParallelism = threads }, q =>
            {
                var random = new CounterRandomStream(CounterRandom.SeedKey(77), CounterRandom.Stream(3, q));
                double sum = 0;
                for (int i = 0; i < 100 + q; i++)
                    sum += random.NextGumbel() + random.NextNormal();
                sums[q] = sum;
            });
            return sums;
        }
        var serial = Run(1);
        CollectionAssert.AreEqual(serial, Run(2));
        CollectionAssert.AreEqual(serial, Run(8));
    }

    [TestMethod]
    public void Conversions_NeverGiveExactlyZeroOrOne_AndTheExtremesAreFinite()
    {
        const double half53 = 1.0 / (1L << 53);
        Assert.AreEqual(half53, CounterRandom.ToDouble(0));
        Assert.AreEqual(1 - half53, CounterRandom.ToDouble(ulong.MaxValue));
        Assert.IsTrue(CounterRandom.ToDouble(ulong.MaxValue) < 1);
        Assert.AreEqual(1f / (1 << 24), CounterRandom.ToSingle(0));
        Assert.AreEqual(1 - 1f / (1 << 24), CounterRandom.ToSingle(ulong.MaxValue));
        Assert.IsTrue(CounterRandom.ToSingle(ulong.MaxValue) < 1f);

        // Symmetric about 1/2, exactly.
        var stream = new CounterRandomStream(5, 5);
        for (int i = 0; i < 10000; i++)
        {
            ulong bits = stream.NextBits();
            Assert.AreEqual(1 - CounterRandom.ToDouble(bits), CounterRandom.ToDouble(~bits), 0);
        }

        // Bounds from u in [2^-53, 1 - 2^-53]: logistic +-53 ln 2, Gumbel -ln(53 ln 2) and -ln(-ln(1 - 2^-53)),
        // normal sqrt(106 ln 2) (cos(2 pi 2^-53) = 1).
        Assert.AreEqual(-36.7368005696771, CounterRandom.ToLogistic(0), 1e-12);
        Assert.AreEqual(36.7368005696771, CounterRandom.ToLogistic(ulong.MaxValue), 1e-12);
        Assert.AreEqual(-3.6037789929704576, CounterRandom.ToGumbel(0), 1e-12);
        Assert.AreEqual(36.7368005696771, CounterRandom.ToGumbel(ulong.MaxValue), 1e-12);
        Assert.AreEqual(8.571674348652905, CounterRandom.ToNormal(0, 0), 1e-12);
    }

    [TestMethod]
    public void Uniform_ChiSquareOver256Bins_IsBelowTheOneInAMillionBound()
    {
        // 256,000 draws, 1,000 expected per bin; chi-square with 255 degrees of freedom, bound 377.08. Seed 0 and
        // stream 0 included: the all-zero key and counters that defeat weak mixers.
        foreach (var (seed, streamId) in new (ulong, ulong)[] { (0, 0), (1, 0), (0, 1), (12345, CounterRandom.Stream(7, 3)) })
        {
            var doubles = new int[256];
            var singles = new int[256];
            var stream = new CounterRandomStream(seed, streamId);
            for (int i = 0; i < 256_000; i++)
            {
                ulong bits = stream.NextBits();
                doubles[(int)(CounterRandom.ToDouble(bits) * 256)]++;
                singles[(int)(CounterRandom.ToSingle(bits) * 256)]++;
            }
            Assert.IsTrue(ChiSquare(doubles) < 377.08, $"double, seed {seed}, stream {streamId}: {ChiSquare(doubles)}");
            Assert.IsTrue(ChiSquare(singles) < 377.08, $"float, seed {seed}, stream {streamId}: {ChiSquare(singles)}");
        }
    }

    [TestMethod]
    public void EveryBitPosition_IsBalanced()
    {
        // 100,000 draws; each bit's frequency within 4.89 standard errors (0.5 / sqrt(n)) of 1/2: |f - 0.5| < 0.0077.
        const int n = 100_000;
        var ones = new int[64];
        var stream = new CounterRandomStream(0, 0);
        for (int i = 0; i < n; i++)
        {
            ulong bits = stream.NextBits();
            for (int b = 0; b < 64; b++)
                ones[b] += (int)((bits >> b) & 1);
        }
        double bound = Z * 0.5 / Math.Sqrt(n);
        for (int b = 0; b < 64; b++)
            Assert.IsTrue(Math.Abs(ones[b] / (double)n - 0.5) < bound, $"bit {b}: {ones[b]} of {n}");
    }

    [TestMethod]
    public void AdjacentStreamsSeedsAndIndices_AreUncorrelated()
    {
        // Pearson r over n = 100,000 pairs is about N(0, 1/n) for independent draws: |r| < 4.89 / sqrt(n) = 0.0155.
        // Pairs: streams s and s + 1 (also iteration-adjacent units), seeds k and k + 1, and lag 1 within a stream.
        const int n = 100_000;
        double bound = Z / Math.Sqrt(n);
        for (ulong s = 0; s < 4; s++)
        {
            Assert.IsTrue(Math.Abs(Correlation(n, i => U(0, s, i), i => U(0, s + 1, i))) < bound, $"streams {s}, {s + 1}");
            Assert.IsTrue(Math.Abs(Correlation(n, i => U(s, 0, i), i => U(s + 1, 0, i))) < bound, $"seeds {s}, {s + 1}");
            ulong a = CounterRandom.Stream((int)s, 5), b = CounterRandom.Stream((int)s + 1, 5);
            Assert.IsTrue(Math.Abs(Correlation(n, i => U(1, a, i), i => U(1, b, i))) < bound, $"iterations {s}, {s + 1} of one query");
        }
        Assert.IsTrue(Math.Abs(Correlation(n, i => U(3, 3, i), i => U(3, 3, i + 1))) < bound, "lag 1");

        // Jointly uniform: the pairs (u in stream 0, u in stream 1) over a 16 x 16 grid, 256,000 pairs, chi-square
        // with 255 degrees of freedom below 377.08.
        var cells = new int[256];
        for (ulong i = 0; i < 256_000; i++)
            cells[(int)(U(0, 0, i) * 16) * 16 + (int)(U(0, 1, i) * 16)]++;
        Assert.IsTrue(ChiSquare(cells) < 377.08, $"pairs: {ChiSquare(cells)}");

        static double U(ulong seed, ulong stream, ulong index) => CounterRandom.ToDouble(CounterRandom.Bits(seed, stream, index));
    }

    [TestMethod]
    public void Normal_HasUnitMomentsAndTheNormalMassWithinOneAndTwoSigma()
    {
        // n = 200,000: mean within 4.89 / sqrt(n); variance within 4.89 sqrt(2 / n); the fraction with |z| < 1
        // (0.682689) and |z| < 2 (0.954500) within 4.89 sqrt(p (1 - p) / n).
        const int n = 200_000;
        var stream = new CounterRandomStream(2024, 11);
        double sum = 0, sumSquares = 0;
        int within1 = 0, within2 = 0;
        for (int i = 0; i < n; i++)
        {
            double z = stream.NextNormal();
            sum += z;
            sumSquares += z * z;
            within1 += Math.Abs(z) < 1 ? 1 : 0;
            within2 += Math.Abs(z) < 2 ? 1 : 0;
        }
        double mean = sum / n, variance = sumSquares / n - mean * mean;
        Assert.AreEqual(0, mean, Z / Math.Sqrt(n));
        Assert.AreEqual(1, variance, Z * Math.Sqrt(2.0 / n));
        const double p1 = 0.6826894921370859, p2 = 0.9544997361036416;
        Assert.AreEqual(p1, within1 / (double)n, Z * Math.Sqrt(p1 * (1 - p1) / n));
        Assert.AreEqual(p2, within2 / (double)n, Z * Math.Sqrt(p2 * (1 - p2) / n));
    }

    [TestMethod]
    public void LogisticAndGumbel_PassKolmogorovSmirnovAgainstTheirCdfs()
    {
        // n = 100,000: the KS statistic below stats.kstwo.isf(1e-6, 100000) = 0.008516.
        const int n = 100_000;
        var stream = new CounterRandomStream(99, 1);
        var logistic = new double[n];
        var gumbel = new double[n];
        for (int i = 0; i < n; i++)
        {
            logistic[i] = stream.NextLogistic();
            gumbel[i] = stream.NextGumbel();
        }
        double dLogistic = KolmogorovSmirnov(logistic, x => 1 / (1 + Math.Exp(-x)));
        double dGumbel = KolmogorovSmirnov(gumbel, x => Math.Exp(-Math.Exp(-x)));
        Assert.IsTrue(dLogistic < 0.008516, $"logistic D = {dLogistic}");
        Assert.IsTrue(dGumbel < 0.008516, $"Gumbel D = {dGumbel}");
    }

    [TestMethod]
    public void NextInt32_IsUniformOverTheRange_AndRejectsANonPositiveBound()
    {
        // 70,000 draws over 7 values, 10,000 expected each: chi-square with 6 degrees of freedom below 38.26.
        var counts = new int[7];
        var stream = new CounterRandomStream(4, 4);
        for (int i = 0; i < 70_000; i++)
            counts[stream.NextInt32(7)]++;
        Assert.IsTrue(ChiSquare(counts) < 38.26, string.Join(", ", counts));

        Assert.AreEqual(0, stream.NextInt32(1));
        int large = stream.NextInt32(int.MaxValue);
        Assert.IsTrue(large is >= 0 and < int.MaxValue);
        var error = Assert.ThrowsExactly<ArgumentException>(() => stream.NextInt32(0));
        Assert.AreEqual("maxExclusive", error.ParamName);
        StringAssert.Contains(error.Message, "got 0");
    }

    private static double ChiSquare(int[] counts)
    {
        double expected = counts.Sum() / (double)counts.Length, chi = 0;
        foreach (int c in counts)
            chi += (c - expected) * (c - expected) / expected;
        return chi;
    }

    private static double Correlation(int n, Func<ulong, double> x, Func<ulong, double> y)
    {
        double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
        for (ulong i = 0; i < (ulong)n; i++)
        {
            double a = x(i), b = y(i);
            sx += a; sy += b; sxx += a * a; syy += b * b; sxy += a * b;
        }
        double cov = sxy / n - sx / n * (sy / n);
        return cov / Math.Sqrt((sxx / n - sx / n * (sx / n)) * (syy / n - sy / n * (sy / n)));
    }

    private static double KolmogorovSmirnov(double[] sample, Func<double, double> cdf)
    {
        var sorted = (double[])sample.Clone();
        Array.Sort(sorted);
        double d = 0;
        for (int i = 0; i < sorted.Length; i++)
        {
            double f = cdf(sorted[i]);
            d = Math.Max(d, Math.Max((i + 1.0) / sorted.Length - f, f - (double)i / sorted.Length));
        }
        return d;
    }
}
