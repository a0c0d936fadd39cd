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
        for (int i = 0; i < confidences.Length; i++)
            CalibrationMetrics.CheckConfidence(double.CreateTruncating(confidences[i]), i, nameof(confidences));
        // The spread data depend only on the grid size, which is the same for every sigma >= 0.01: cache per size.
        var cache = new Dictionary<int, (double[] R, double[] D)>();
        if (bandwidth is { } fixedSigma)
        {
            if (!(fixedSigma > 0 && fixedSigma <= 1))
                throw new ArgumentOutOfRangeException(nameof(bandwidth), $"The bandwidth must be in (0, 1]; got {fixedSigma}.");
            return new SmoothCalibrationError(Evaluate(confidences, outcomes, fixedSigma, cache), fixedSigma);
        }
        // relplot's search_param: the predicate "sigma is too large" is sigma < 0.001 or sigma < smECE(sigma).
        if (Evaluate(confidences, outcomes, 1, cache) > 1)
            return new SmoothCalibrationError(Evaluate(confidences, outcomes, 1, cache), 1);
        double start = 1, end = 0;
        for (int k = 0; k < Halvings; k++)
        {
            double mid = (start + end) / 2;
            if (mid < MinimumBandwidth || mid < Evaluate(confidences, outcomes, mid, cache))
                end = mid;
            else
                start = mid;
        }
        return new SmoothCalibrationError(Evaluate(confidences, outcomes, start, cache), start);
    }

    private static double Evaluate<T>(ReadOnlySpan<T> f, ReadOnlySpan<bool> y, double sigma, Dictionary<int, (double[] R, double[] D)> cache)
        where T : unmanaged, INumberBase<T>
    {
        int grid = (int)(Math.Max(2000, Math.Round(20 / sigma)) / 2) + 1;
        if (!cache.TryGetValue(grid, out var spread))
        {
            spread = Spread(f, y, grid);
            cache.Add(grid, spread);
        }
        var kernel = Kernel(sigma, grid);
        var smoothedR = Convolve(spread.R, kernel);
        var smoothedD = Convolve(spread.D, kernel);
        int points = Math.Max((int)Math.Round(10 / sigma), 200);
        double numerator = 0, denominator = 0;
        for (int k = 0; k < points; k++)
        {
            double t = (double)k / (points - 1);
            numerator += Math.Abs(Interpolate(smoothedR, t));
            denominator += Interpolate(smoothedD, t) + DensityEpsilon;
        }
        return numerator / denominator;
    }

    // Linear spreading of the residuals f - y and of ones onto grid points m / (G - 1) (relplot's smooth_round_to_grid).
    private static (double[] R, double[] D) Spread<T>(ReadOnlySpan<T> f, ReadOnlySpan<bool> y, int grid)
        where T : unmanaged, INumberBase<T>
    {
        var residuals = new double[grid];
        var density = new double[grid];
        for (int i = 0; i < f.Length; i++)
        {
            double c = double.CreateTruncating(f[i]);
            double position = c * (grid - 1);
            int bin = Math.Clamp((int)position, 0, grid - 2);
            double fraction = position - bin;
            double r = c - (y[i] ? 1 : 0);
            residuals[bin] += (1 - fraction) * r;
            residuals[bin + 1] += fraction * r;
            density[bin] += 1 - fraction;
            density[bin + 1] += fraction;
        }
        return (residuals, density);
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
