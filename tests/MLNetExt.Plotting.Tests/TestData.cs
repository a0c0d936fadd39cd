using MLNetExt.Calibration;
using SkiaSharp;

namespace MLNetExt.Plotting.Tests;

/// <summary>Synthetic predictions with a fixed seed, and helpers to read rendered PNGs.</summary>
internal static class TestData
{
    /// <summary>
    /// 4000 predictions whose true probability is sigmoid(z), z uniform on [-3, 3]; the scores are sigmoid(2.2 z), an
    /// over-confident model, and the "calibrated" ones are the true probabilities. No score falls in [0.4, 0.5): that
    /// bin of <see cref="CalibrationBinning.EqualWidth"/>(10) stays empty.
    /// </summary>
    public static (double[] OverConfident, double[] Calibrated, bool[] Outcomes) Predictions(int seed = 42)
    {
        var random = new Random(seed);
        var over = new List<double>();
        var calibrated = new List<double>();
        var outcomes = new List<bool>();
        while (over.Count < 4000)
        {
            double z = random.NextDouble() * 6 - 3;
            double p = 1 / (1 + Math.Exp(-z));
            double score = 1 / (1 + Math.Exp(-2.2 * z));
            if (score >= 0.4 && score < 0.5)
                continue;
            over.Add(score);
            calibrated.Add(p);
            outcomes.Add(random.NextDouble() < p);
        }
        return (over.ToArray(), calibrated.ToArray(), outcomes.ToArray());
    }

    public static ReliabilityDiagram OverConfidentDiagram()
    {
        var (over, _, y) = Predictions();
        return CalibrationMetrics.Reliability(over, y, CalibrationBinning.EqualWidth(10));
    }

    public static ReliabilityDiagram CalibratedDiagram()
    {
        var (_, calibrated, y) = Predictions();
        return CalibrationMetrics.Reliability(calibrated, y, CalibrationBinning.EqualWidth(10));
    }

    public static SKBitmap Decode(byte[] png)
        => SKBitmap.Decode(png) ?? throw new AssertFailedException("The bytes do not decode as an image.");

    /// <summary>The mean colour of the (2r+1) x (2r+1) pixels around (x, y).</summary>
    public static (double R, double G, double B) MeanColor(SKBitmap bitmap, float x, float y, int r = 2)
    {
        double red = 0, green = 0, blue = 0;
        int n = 0;
        for (int dx = -r; dx <= r; dx++)
        {
            for (int dy = -r; dy <= r; dy++)
            {
                SKColor c = bitmap.GetPixel((int)Math.Round(x) + dx, (int)Math.Round(y) + dy);
                red += c.Red;
                green += c.Green;
                blue += c.Blue;
                n++;
            }
        }
        return (red / n, green / n, blue / n);
    }

    /// <summary>How many pixels in the rectangle differ between two images of the same size.</summary>
    public static int CountDifferentPixels(SKBitmap a, SKBitmap b, int left, int top, int right, int bottom)
    {
        int count = 0;
        for (int x = left; x < right; x++)
        {
            for (int y = top; y < bottom; y++)
            {
                if (a.GetPixel(x, y) != b.GetPixel(x, y))
                    count++;
            }
        }
        return count;
    }

    /// <summary>How many pixels in the rectangle are dark (every channel below 100), as anti-aliased text is.</summary>
    public static int CountDarkPixels(SKBitmap bitmap, int left, int top, int right, int bottom)
    {
        int count = 0;
        for (int x = left; x < right; x++)
        {
            for (int y = top; y < bottom; y++)
            {
                SKColor c = bitmap.GetPixel(x, y);
                if (c.Red < 100 && c.Green < 100 && c.Blue < 100)
                    count++;
            }
        }
        return count;
    }
}
