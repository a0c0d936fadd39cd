using System.Numerics;

namespace MLNetExt.Calibration;

/// <summary>A smooth ECE and the kernel bandwidth it was computed with.</summary>
/// <param name="Value">smECE at <paramref name="Bandwidth"/>.</param>
/// <param name="Bandwidth">The Gaussian kernel's sigma: the fixed point sigma* = smECE(sigma*) unless given.</param>
public readonly record struct SmoothCalibrationError(double Value, double Bandwidth);

/// <summary>
/// Smooth ECE (Błasiok and Nakkiran, ICLR 2024), computed as their relplot package does (apple/ml-calibration,
/// <c>src/relplot/metrics.py</c> and <c>kernels.py</c>, read at HEAD): the residuals <c>f_i - y_i</c> and the
/// densities are spread onto a grid of <c>floor(max(2000, round(20 / sigma)) / 2) + 1</c> points by linear
/// interpolation, smoothed with a Gaussian kernel reflected once at 0 and at 1, evaluated by linear interpolation on
/// <c>max(round(10 / sigma), 200)</c> points of [0, 1], and <c>smECE = sum |r(t)| / sum (d(t) + 1e-4)</c>. The
/// bandwidth is relplot's fixed point: sigma = 1 if 1 &lt; smECE(1); otherwise 10 halvings of [0, 1] keeping the
/// side where sigma &gt;= smECE(sigma) (sigma &lt; 0.001 counts as too small), and that side is returned.
/// Cost: O(n) to spread, then O(G^2) per bandwidth tried (G about 1000 for sigma &gt;= 0.01).
/// </summary>
internal static class SmoothCalibrationErrorCore
{
    private const double DensityEpsilon = 1e-4;
    private const double MinimumBandwidth = 0.001;
    private const int Halvings = 10;

    public static SmoothCalibrationError Compute<T>(ReadOnlySpan<T> confidences, ReadOnlySpan<bool> outcomes, double? bandwidth)
        where T : unmanaged, INumberBase<T>
    {
        if (confidences.Length != outcomes.Length)
            throw new ArgumentException($"'outcomes' has {outcomes.Length} elements; expected {confidences.Length}, one per prediction.", nameof(outcomes));
        if (confidences.Length == 0)
            throw new ArgumentException("Smooth ECE needs at least one prediction.", nameof(confidences));
        var f = new double[confidences.Length];
        var r = new double[confidences.Length];
        for (int i = 0; i < f.Length; i++)
        {
            double c = double.CreateTruncating(confidences[i]);
            CalibrationMetrics.CheckConfidence(c, i, nameof(confidences));
            f[i] = c;
            r[i] = c - (outcomes[i] ? 1 : 0);
        }
        if (bandwidth is { } fixedSigma)
        {
            if (!(fixedSigma > 0 && fixedSigma <= 1))
                throw new ArgumentOutOfRangeException(nameof(bandwidth), $"The bandwidth must be in (0, 1]; got {fixedSigma}.");
            return new SmoothCalibrationError(Evaluate(f, r, fixedSigma), fixedSigma);
        }

        var cache = new Dictionary<int, (double[] R, double[] D)>();
        bool TooLarge(double sigma) => sigma < MinimumBandwidth || sigma < Evaluate(f, r, sigma, cache);
        if (TooLarge(1))
            return new SmoothCalibrationError(Evaluate(f, r, 1, cache), 1);
        double start = 1, end = 0;
        for (int k = 0; k < Halvings; k++)
        {
            double mid = (start + end) / 2;
            if (TooLarge(mid))
                end = mid;
            else
                start = mid;
        }
        return new SmoothCalibrationError(Evaluate(f, r, start, cache), start);
    }

    private static double Evaluate(double[] f, double[] r, double sigma, Dictionary<int, (double[] R, double[] D)>? cache = null)
    {
        int grid = (int)(Math.Max(2000, Math.Round(20 / sigma)) / 2) + 1;
        (double[] R, double[] D) spread;
        if (cache is null || !cache.TryGetValue(grid, out spread))
        {
            spread = (Spread(f, r, grid), Spread(f, null, grid));
            cache?.Add(grid, spread);
        }
        var kernel = Kernel(sigma, grid);
        var smoothedR = Convolve(spread.R, kernel);
        var smoothedD = Convolve(spread.D, kernel);
        int points = Math.Max((int)Math.Round(10 / sigma), 200);
        double numerator = 0, denominator = 0;
        for (int k = 0; k < points; k++)
        {
            double t = points == 1 ? 0 : (double)k / (points - 1);
            numerator += Math.Abs(Interpolate(smoothedR, t));
            denominator += Interpolate(smoothedD, t) + DensityEpsilon;
        }
        return numerator / denominator;
    }

    // Linear spreading onto grid points m / (G - 1) (relplot's smooth_round_to_grid); values null means ones.
    private static double[] Spread(double[] f, double[]? values, int grid)
    {
        var result = new double[grid];
        for (int i = 0; i < f.Length; i++)
        {
            double position = f[i] * (grid - 1);
            int bin = Math.Clamp((int)position, 0, grid - 2);
            double fraction = position - bin;
            double v = values?[i] ?? 1;
            result[bin] += (1 - fraction) * v;
            result[bin + 1] += fraction * v;
        }
        return result;
    }

    // The Gaussian density sampled at offsets d / (G - 1), d = -(G - 1)..(G - 1) (relplot samples linspace(0, 1, G)
    // around 0.5; the same offsets).
    private static double[] Kernel(double sigma, int grid)
    {
        var kernel = new double[2 * grid - 1];
        double norm = 1 / (Math.Sqrt(2 * Math.PI) * sigma);
        for (int d = -(grid - 1); d <= grid - 1; d++)
        {
            double x = (double)d / (grid - 1);
            kernel[d + grid - 1] = norm * Math.Exp(-x * x / (2 * sigma * sigma));
        }
        return kernel;
    }

    // Convolution with the kernel after reflecting the grid once at each end (relplot's ReflectedGaussianKernel:
    // [flip(v)[:-1], v, flip(v)[1:]]), restricted to what a kernel of half-width 1/2 reaches, as numpy's 'valid'
    // convolution with a kernel of G points does.
    private static double[] Convolve(double[] values, double[] kernel)
    {
        int g = values.Length, half = g / 2;
        var result = new double[g];
        for (int k = 0; k < g; k++)
        {
            double sum = 0;
            for (int d = -half; d <= half; d++)
            {
                int m = k + d;
                double v = m < 0 ? values[-m] : m >= g ? values[2 * (g - 1) - m] : values[m];
                sum += v * kernel[d + g - 1];
            }
            result[k] = sum;
        }
        return result;
    }

    private static double Interpolate(double[] y, double t)
    {
        int n = y.Length;
        int index = Math.Clamp((int)(t * (n - 1)), 0, n - 2);
        double residual = (t - index / (double)(n - 1)) * (n - 1);
        return y[index] * (1 - residual) + y[index + 1] * residual;
    }
}
