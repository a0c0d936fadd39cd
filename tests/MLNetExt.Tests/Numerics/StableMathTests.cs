using MLNetExt.Numerics;

namespace MLNetExt.Tests.Numerics;

/// <summary>
/// The shared elementary functions against values computed offline with mpmath at 50 significant digits (Debian's
/// python3-mpmath 1.2.1, e.g. <c>mpmath.log1p(mpmath.mpf(x))</c> for the double x, rounded to the nearest double),
/// within the error bounds their documentation states, plus the overflow and edge cases.
/// </summary>
[TestClass]
public sealed class StableMathTests
{
    [TestMethod]
    [DataRow(1e-20, 1e-20)]
    [DataRow(1e-10, 9.999999999500001e-11)]
    [DataRow(-1e-10, -1.00000000005e-10)]
    [DataRow(1e-5, 9.999950000333332e-06)]
    [DataRow(0.5, 0.4054651081081644)]
    [DataRow(-0.999999, -13.815510557935518)]
    [DataRow(1e10, 23.025850930040455)]
    [DataRow(1e305, 702.288453363184)]
    [DataRow(1e308, 709.1962086421661)]
    public void Log1P_MatchesHighPrecisionValue_WithinStatedRelativeError(double x, double expected)
    {
        // Math.Log(1 + x) would give 0 at 1e-20 and a relative error of 8e-8 at 1e-10; 1e305 and 1e308 would
        // overflow ln(u) * x without the large-x branch.
        Assert.AreEqual(expected, StableMath.Log1P(x), 4e-16 * Math.Abs(expected));
    }

    [TestMethod]
    public void Log1P_EdgeCases()
    {
        Assert.AreEqual(0.0, StableMath.Log1P(0.0));
        Assert.AreEqual(double.NegativeInfinity, StableMath.Log1P(-1.0));
        Assert.IsTrue(double.IsNaN(StableMath.Log1P(-1.5)));
        Assert.IsTrue(double.IsNaN(StableMath.Log1P(double.NaN)));
        Assert.AreEqual(double.PositiveInfinity, StableMath.Log1P(double.PositiveInfinity));
    }

    [TestMethod]
    [DataRow(-1000.0, 0.0)]
    [DataRow(-40.0, 4.248354255291589e-18)] // e^-40; the formula gives 0, within the absolute bound
    [DataRow(-1.0, 0.3132616875182228)]
    [DataRow(0.0, 0.6931471805599453)]
    [DataRow(1e-10, 0.6931471806099453)]
    [DataRow(1.0, 1.3132616875182228)]
    [DataRow(40.0, 40.0)]
    [DataRow(1000.0, 1000.0)]
    public void Softplus_MatchesHighPrecisionValue_WithinStatedAbsoluteError(double t, double expected)
    {
        double value = StableMath.Softplus(t);
        Assert.IsTrue(double.IsFinite(value));
        Assert.AreEqual(expected, value, 2.4e-16 * Math.Max(1, Math.Abs(t)));
    }

    [TestMethod]
    [DataRow(-1000.0, 0.0)]
    [DataRow(-40.0, 4.248354255291589e-18)]
    [DataRow(-1.0, 0.2689414213699951)]
    [DataRow(0.0, 0.5)]
    [DataRow(1.0, 0.7310585786300049)]
    [DataRow(36.0, 0.9999999999999998)]
    [DataRow(1000.0, 1.0)]
    public void Sigmoid_MatchesHighPrecisionValue_WithinStatedRelativeError(double t, double expected)
    {
        Assert.AreEqual(expected, StableMath.Sigmoid(t), 3e-16 * expected);
    }

    [TestMethod]
    public void Sigmoid_ReachesExactlyOneAt53Ln2_AndNeverOverflows()
    {
        // 1 / (1 + e^-t) rounds to 1 once e^-t <= 2^-53, i.e. t >= 53 ln 2 = 36.7368.
        Assert.IsTrue(StableMath.Sigmoid(36.73) < 1);
        Assert.AreEqual(1.0, StableMath.Sigmoid(36.74));
        Assert.AreEqual(1.0, StableMath.Sigmoid(double.MaxValue));
        Assert.AreEqual(0.0, StableMath.Sigmoid(-double.MaxValue));
        Assert.IsTrue(StableMath.Sigmoid(-745) > 0, "e^-745 is the smallest subnormal, not 0");
        Assert.IsTrue(double.IsNaN(StableMath.Sigmoid(double.NaN)));
    }

    [TestMethod]
    public void SoftplusAndSigmoid_IsBitForBitTheTwoFunctions()
    {
        double[] special = [0.0, -0.0, double.Epsilon, -double.Epsilon, 36.7368005696771, -745.2, 1e300, -1e300,
            double.PositiveInfinity, double.NegativeInfinity];
        var values = special.Concat(Enumerable.Range(-4000, 8001).Select(i => i * 0.01 + 0.003));
        foreach (double t in values)
        {
            var (softplus, sigmoid) = StableMath.SoftplusAndSigmoid(t);
            Assert.AreEqual(BitConverter.DoubleToInt64Bits(StableMath.Softplus(t)), BitConverter.DoubleToInt64Bits(softplus), $"softplus({t})");
            Assert.AreEqual(BitConverter.DoubleToInt64Bits(StableMath.Sigmoid(t)), BitConverter.DoubleToInt64Bits(sigmoid), $"sigmoid({t})");
        }
    }

    [TestMethod]
    [DataRow(1e-300, -690.7755278982137)]
    [DataRow(0.25, -1.0986122886681098)] // -ln 3
    [DataRow(0.5, 0.0)]
    [DataRow(0.9, 2.1972245773362196)] // the double nearest 0.9 is 0.90000000000000002220446...
    [DataRow(1 - 1.0 / (1L << 53), 36.7368005696771)] // 53 ln 2: the largest uniform CounterRandom gives
    public void Logit_MatchesHighPrecisionValue(double p, double expected)
    {
        Assert.AreEqual(expected, StableMath.Logit(p), 4e-16 * Math.Max(1, Math.Abs(expected)));
    }

    [TestMethod]
    public void LogSumExp_DoesNotOverflow_AndMatchesHighPrecisionValues()
    {
        Assert.AreEqual(1000.6931471805599, StableMath.LogSumExp([1000.0, 1000.0]), 1e-12); // 1000 + ln 2
        Assert.AreEqual(-998.9013877113318, StableMath.LogSumExp([-1000.0, -1000.0, -1000.0]), 1e-12); // -1000 + ln 3
        Assert.AreEqual(1.3862943611198906, StableMath.LogSumExp([0.0, Math.Log(3)]), 4e-16); // ln 4
        Assert.AreEqual(6.142931628499899, StableMath.LogSumExp([1.0, 2.0, 3.0], scale: 2), 1e-15); // ln(e^2 + e^4 + e^6)
        Assert.AreEqual(0.6531782071222881, StableMath.LogSumExp([-1.5, 0.5, -3.0]), 4e-16);
        Assert.AreEqual(double.NegativeInfinity, StableMath.LogSumExp([]));
    }
}
