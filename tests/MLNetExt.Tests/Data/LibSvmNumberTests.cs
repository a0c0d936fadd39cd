using System.Globalization;
using System.Text;
using MLNetExt.Data;

namespace MLNetExt.Tests.Data;

/// <summary>
/// The loader's number parser against .NET's <c>float.Parse</c> (correctly rounded since .NET Core 3.0), the oracle:
/// the exact fast path must never differ from it, including on float rounding midpoints.
/// </summary>
[TestClass]
public sealed class LibSvmNumberTests
{
    private static float Parse(string text)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        int pos = 0;
        Assert.IsTrue(LibSvmLineParser.TryParseNumber(bytes, ref pos, out float value), $"'{text}' should parse");
        Assert.AreEqual(bytes.Length, pos, $"'{text}' should be read to its end");
        return value;
    }

    private static void AssertSameAsFloatParse(string text)
    {
        float expected = float.Parse(text, CultureInfo.InvariantCulture);
        float actual = Parse(text);
        Assert.AreEqual(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(actual),
            $"'{text}': float.Parse gives {expected:R}, the loader {actual:R}");
    }

    [TestMethod]
    public void HandPickedValues_EqualFloatParse()
    {
        string[] cases =
        [
            "0", "-0", "1", "-1", "+2.5", "0.1", ".5", "1.", "0.000000", "3.14159265358979", "123456789", "16777216",
            "16777217",          // exactly between the floats 16777216 and 16777218: ties to even, 16777216
            "16777219",          // between 16777218 and 16777220, ties to even: 16777220
            "0.30000001192092896", "1e-5", "1.5E+3", "2.5e-3", "7e22", "1e23", "9007199254740993", "9999999999999999999",
            "99999999999999999999", "3.4028235e38", "3.4028236e38", "1e-45", "1.4e-45", "1e-46", "0.0000000000000000000001",
            "123.456e-2", "5e-324", "1e39", "-1e39",
        ];
        foreach (string text in cases)
            AssertSameAsFloatParse(text);
    }

    [TestMethod]
    public void RandomDecimals_EqualFloatParse()
    {
        var random = new Random(20240601);
        for (int i = 0; i < 200_000; i++)
        {
            int digits = random.Next(1, 20);
            var text = new StringBuilder();
            if (random.Next(4) == 0)
                text.Append('-');
            for (int d = 0; d < digits; d++)
                text.Append((char)('0' + random.Next(10)));
            int point = random.Next(-1, digits + 1);
            if (point >= 0)
                text.Insert(text.Length - digits + point, '.');
            if (random.Next(5) == 0)
                text.Append('e').Append(random.Next(-30, 31));
            string s = text.ToString();
            if (s.EndsWith('-') || s is "." or "-.")
                continue;
            AssertSameAsFloatParse(s);
        }
    }

    [TestMethod]
    public void FloatMidpoints_EqualFloatParse()
    {
        // Decimal forms of exact midpoints between neighbouring floats: the fast path's double lands on the midpoint
        // and must defer to the full parser (ties to even).
        var random = new Random(7);
        for (int i = 0; i < 20_000; i++)
        {
            float f = (float)(random.NextDouble() * Math.Pow(10, random.Next(-8, 9)));
            double midpoint = ((double)f + (double)MathF.BitIncrement(f)) / 2;
            AssertSameAsFloatParse(midpoint.ToString("R", CultureInfo.InvariantCulture));
        }
    }

    [TestMethod]
    public void SpecialWords_AreNanAndInfinity()
    {
        foreach (string nan in new[] { "nan", "NaN", "NA", "null", "-nan" })
            Assert.IsTrue(float.IsNaN(Parse(nan)), nan);
        Assert.AreEqual(float.PositiveInfinity, Parse("inf"));
        Assert.AreEqual(float.PositiveInfinity, Parse("Infinity"));
        Assert.AreEqual(float.NegativeInfinity, Parse("-INF"));
        Assert.AreEqual(float.NegativeInfinity, Parse("-infinity"));
    }

    [TestMethod]
    public void NotANumber_IsRefused_AndLeavesThePositionAlone()
    {
        foreach (string text in new[] { "", "-", ".", "abc", "1,5", "0x10", "1e", "1.2.3", "infinit", "--1", "1e+" })
        {
            var bytes = Encoding.ASCII.GetBytes(text);
            int pos = 0;
            Assert.IsFalse(LibSvmLineParser.TryParseNumber(bytes, ref pos, out _), $"'{text}' must not parse");
            Assert.AreEqual(0, pos);
        }
    }

    [TestMethod]
    public void Number_StopsAtABlank()
    {
        var bytes = "2.5\t7:1"u8.ToArray();
        int pos = 0;
        Assert.IsTrue(LibSvmLineParser.TryParseNumber(bytes, ref pos, out float value));
        Assert.AreEqual(2.5f, value);
        Assert.AreEqual(3, pos);
    }
}
