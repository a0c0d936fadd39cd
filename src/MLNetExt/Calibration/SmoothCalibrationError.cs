using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;

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
/// The kernel is cut at 10 sigma (the terms left out are below e^-50 = 2e-22 of the peak), so the work is
/// O(n) to spread plus O(G min(G, 20 sigma G)) per bandwidth tried, at most about 2e8 operations at the smallest
/// bandwidth allowed, <see cref="MinimumBandwidth"/> (G = 1,000,001 there). Example weights scale each row's residual
/// and density, as frequencies: a weight of 2 counts as the row twice, 1 as once, 0 removes it.
/// </summary>
internal static class SmoothCalibrationErrorCore
{
    /// <summary>The smallest fixed bandwidth accepted: its grid has 1,000,001 points.</summary>
    public const double MinimumBandwidth = 1e-5;

    private const double DensityEpsilon = 1e-4;
    private const double SearchFloor = 0.001;
    private const int Halvings = 10;
    private const double KernelCut = 10;

    /// <summary>The grid of every bandwidth from 0.01 up (1,001 points): the evaluators spread onto it while reading.</summary>
    public const int DefaultGrid = 1001;

    /// <summary>The grid size relplot uses for <paramref name="sigma"/>.</summary>
    public static int GridSize(double sigma) => (int)(Math.Max(2000, Math.Round(20 / sigma)) / 2) + 1;

    /// <summary>Checks a fixed bandwidth, naming it.</summary>
    public static void CheckBandwidth(double sigma, string parameterName)
    {
        if (!(sigma >= MinimumBandwidth && sigma <= 1))
        {
            throw new ArgumentOutOfRangeException(parameterName,
                $"The smooth-ECE bandwidth must be in [{MinimumBandwidth:0e0}, 1]; got {sigma.ToString("R", CultureInfo.InvariantCulture)}. " +
                $"Below {MinimumBandwidth:0e0} relplot's grid would need more than {GridSize(MinimumBandwidth):N0} points.");
        }
    }

    /// <summary>
    /// smECE from spread data: <paramref name="spread"/> returns, for a grid size, the spread residuals and densities
    /// (2 x G doubles: residuals then densities), already rescaled for weights.
    /// </summary>
    public static SmoothCalibrationError Compute(Func<int, double[]> spread, double? bandwidth, Action? checkCanceled = null)
    {
        var cache = new Dictionary<int, double[]>();
        double Evaluate(double sigma)
        {
            checkCanceled?.Invoke();
            int grid = GridSize(sigma);
            if (!cache.TryGetValue(grid, out var spreadData))
            {
                spreadData = spread(grid);
                cache.Add(grid, spreadData);
            }
            return EvaluateSpread(spreadData, grid, sigma);
        }
        if (bandwidth is { } fixedSigma)
            return new SmoothCalibrationError(Evaluate(fixedSigma), fixedSigma);
        // relplot's search_param: the predicate "sigma is too large" is sigma < 0.001 or sigma < smECE(sigma).
        double atOne = Evaluate(1);
        if (atOne > 1)
            return new SmoothCalibrationError(atOne, 1);
        double start = 1, end = 0;
        for (int k = 0; k < Halvings; k++)
        {
            double mid = (start + end) / 2;
            if (mid < SearchFloor || mid < Evaluate(mid))
                end = mid;
            else
                start = mid;
        }
        return new SmoothCalibrationError(Evaluate(start), start);
    }

    /// <summary>Segments per chunk for a grid of <paramref name="grid"/> points (see <see cref="Kernels.Segments.SegmentsPerChunk"/>).</summary>
    public static int SegmentsPerChunk(int grid) => Kernels.Segments.SegmentsPerChunk(2 * grid);

    /// <summary>
    /// Spreads one segment onto the grid (relplot's smooth_round_to_grid): residuals w (f - y) into
    /// <c>partial[0..G)</c>, densities w into <c>partial[G..2G)</c>, linearly between the two nearest grid points.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Spread<T, TW>(ReadOnlySpan<T> f, ReadOnlySpan<bool> y, ReadOnlySpan<TW> w, int grid, double[] partial)
        where T : unmanaged, INumber<T>
        where TW : unmanaged, INumberBase<TW>
    {
        var residuals = partial.AsSpan(0, grid);
        var density = partial.AsSpan(grid, grid);
        for (int i = 0; i < f.Length; i++)
        {
            double c = double.CreateTruncating(f[i]);
            double position = c * (grid - 1);
            int bin = Math.Clamp((int)position, 0, grid - 2);
            double fraction = position - bin;
            double r = c - (y[i] ? 1 : 0);
            double lower = 1 - fraction, upper = fraction;
            if (!w.IsEmpty)
            {
                double weight = double.CreateTruncating(w[i]);
                lower *= weight;
                upper *= weight;
            }
            residuals[bin] += lower * r;
            residuals[bin + 1] += upper * r;
            density[bin] += lower;
            density[bin + 1] += upper;
        }
    }

    private static double EvaluateSpread(double[] spread, int grid, double sigma)
    {
        var kernel = Kernel(sigma, grid, out int reach);
        var smoothedR = Convolve(spread.AsSpan(0, grid), kernel, reach);
        var smoothedD = Convolve(spread.AsSpan(grid, grid), kernel, reach);
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

    // The Gaussian density sampled at offsets d / (G - 1), d = -reach..reach (relplot samples linspace(0, 1, G) around
    // 0.5: the same offsets, up to half the grid); cut where it falls below e^-50 of its peak.
    private static double[] Kernel(double sigma, int grid, out int reach)
    {
        int half = grid / 2;
        reach = (int)Math.Min(half, Math.Ceiling(KernelCut * sigma * (grid - 1)));
        var kernel = new double[2 * reach + 1];
        double norm = 1 / (Math.Sqrt(2 * Math.PI) * sigma);
        for (int d = -reach; d <= reach; d++)
        {
            double x = (double)d / (grid - 1);
            kernel[d + reach] = norm * Math.Exp(-x * x / (2 * sigma * sigma));
        }
        return kernel;
    }

    // Convolution with the kernel after reflecting the grid once at each end (relplot's ReflectedGaussianKernel:
    // [flip(v)[:-1], v, flip(v)[1:]]), restricted to what a kernel of half-width 1/2 reaches, as numpy's 'valid'
    // convolution with a kernel of G points does.
    private static double[] Convolve(ReadOnlySpan<double> values, double[] kernel, int reach)
    {
        int g = values.Length;
        var result = new double[g];
        for (int k = 0; k < g; k++)
        {
            double sum = 0;
            for (int d = -reach; d <= reach; d++)
            {
                int m = k + d;
                double v = m < 0 ? values[-m] : m >= g ? values[2 * (g - 1) - m] : values[m];
                sum += v * kernel[d + reach];
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
