using MLNetExt.CovariateShift.Kernels;
using MLNetExt.Diagnostics;
using MLNetExt.Numerics;

namespace MLNetExt.CovariateShift.Weights;

/// <summary>The weights of one DW-KMM solve.</summary>
/// <param name="D">The D they were computed for.</param>
/// <param name="Beta">Training weights beta (n).</param>
/// <param name="Alpha">Target weights alpha (t).</param>
/// <param name="Objective">The squared RKHS distance between the weighted means, <c>v' K v</c>.</param>
/// <param name="Iterations">Accelerated projected-gradient iterations used.</param>
/// <param name="Converged">Whether the relative tolerance was reached before the iteration limit.</param>
/// <param name="Path">What the solve met of the constraints that depend on D (<see cref="WeightPath.Holds"/>).</param>
/// <param name="ColdStart">Whether it started from all weights 1 (the only start whose path can be shared between D's).</param>
internal sealed record KmmSolution(double D, double[] Beta, double[] Alpha, double Objective, int Iterations, bool Converged, WeightPath Path,
    bool ColdStart)
{
    /// <summary>Whether a cold solve over <paramref name="set"/> would return these weights bit for bit (see <see cref="WeightPath.Holds"/>).</summary>
    public bool SameFor(WeightSet set) => ColdStart && Path.Holds(set);

    /// <summary>These weights, labelled with another D for which <see cref="SameFor"/> holds.</summary>
    public KmmSolution As(double d) => this with { D = d };
}

/// <summary>
/// Generalized kernel mean matching (DW-KMM, spec §1.4; MRCpy <c>DWGCS.DWKMM</c>): minimizes
/// <c>v' K v</c>, <c>v = [beta / n; -alpha / t]</c>, over <see cref="WeightSet"/>, by accelerated projected gradient
/// (FISTA, Beck and Teboulle 2009) with exact projections, a backtracking check of the step size 1/L (L starts at
/// twice the largest eigenvalue of S K S estimated by power iteration, S = diag(1/n, -1/t)), and a restart of the
/// momentum whenever the objective would rise (O'Donoghue and Candès 2015), so the accepted objective never
/// increases. One kernel product per iteration (at D = 1, where alpha is fixed, only the training block of K). It
/// stops when the objective fell by less than <c>Tolerance</c> x max(objective, 1e-4 x the unweighted objective) over
/// each of <see cref="Patience"/> consecutive iterations, when it is below <see cref="MatchedFraction"/> x the
/// unweighted objective (the samples are matched), or after the iteration limit. It starts from beta = alpha = 1
/// (always feasible, and optimal when the two samples coincide) or from a given point projected onto the set. Every solve starts from the same step size, so a solve for one D does not depend
/// on which D's were solved before it.
/// </summary>
internal sealed class DoubleWeightingKmm
{
    /// <summary>Consecutive small decreases required to stop.</summary>
    public const int Patience = 10;

    /// <summary>The samples count as matched when the objective is below this fraction of the unweighted objective (the
    /// remaining distance is then 1/1000 of the original one; the sampling error of the embeddings is far larger).</summary>
    public const double MatchedFraction = 1e-6;

    private readonly IKernelOperator _kernel;
    private readonly int _n;
    private readonly int _t;
    private readonly double _b;
    private readonly double _tolerance;
    private readonly int _maximumIterations;
    private readonly double[] _scaled;
    private readonly double[] _initialLipschitz = new double[2];
    private (double[] Linear, double Constant)? _fixedTarget;
    private double _reference = -1;

    public DoubleWeightingKmm(IKernelOperator kernel, int n, int t, double b, double tolerance, int maximumIterations)
    {
        _kernel = kernel;
        _n = n;
        _t = t;
        _b = b;
        _tolerance = tolerance;
        _maximumIterations = maximumIterations;
        _scaled = new double[n + t];
    }

    /// <summary>y = S K S x.</summary>
    private void Multiply(double[] x, double[] y) => Linear(x, y, alphaFixed: false);

    /// <summary>
    /// y = M x, M = S K S, or, when alpha is fixed (D = 1), only the training block: <c>y[0..n] = S_n K_nn S_n x[0..n]</c>
    /// and <c>y[n..] = 0</c>, a quarter of the exact kernel's product and half of the Nystrom one.
    /// </summary>
    private void Linear(double[] x, double[] y, bool alphaFixed)
    {
        double sn = 1.0 / _n, st = -1.0 / _t;
        for (int i = 0; i < _n; i++)
            _scaled[i] = x[i] * sn;
        if (alphaFixed)
        {
            _kernel.MultiplyLeading(_n, _scaled, y);
            for (int i = 0; i < _n; i++)
                y[i] *= sn;
            Array.Clear(y, _n, _t);
            return;
        }
        for (int j = _n; j < _n + _t; j++)
            _scaled[j] = x[j] * st;
        _kernel.Multiply(_scaled, y);
        for (int i = 0; i < _n; i++)
            y[i] *= sn;
        for (int j = _n; j < _n + _t; j++)
            y[j] *= st;
    }

    /// <summary>
    /// The half-gradient the solver steps along: M z, or, with alpha fixed at 1, <c>(A beta + c, 0)</c> where A is the
    /// training block of M and c the training part of <c>M [0; 1]</c> (then <c>f = beta'A beta + 2 c'beta + k0</c>).
    /// </summary>
    private void Apply(double[] z, double[] mz, bool alphaFixed)
    {
        Linear(z, mz, alphaFixed);
        if (alphaFixed)
        {
            var c = FixedTarget().Linear;
            for (int i = 0; i < _n; i++)
                mz[i] += c[i];
        }
    }

    /// <summary>f = z' M z from z and <see cref="Apply"/>'s output.</summary>
    private double Value(double[] z, double[] mz, bool alphaFixed)
    {
        if (!alphaFixed)
            return Dot(z, mz);
        var (c, k0) = FixedTarget();
        return VectorMath.Dot(z.AsSpan(0, _n), mz.AsSpan(0, _n)) + VectorMath.Dot(z.AsSpan(0, _n), c) + k0;
    }

    /// <summary>c = (M [0; 1])[0..n] and k0 = [0; 1]' M [0; 1], computed once.</summary>
    private (double[] Linear, double Constant) FixedTarget()
    {
        if (_fixedTarget is null)
        {
            var x = new double[_n + _t];
            var y = new double[_n + _t];
            Array.Fill(x, 1.0, _n, _t);
            Multiply(x, y);
            double k0 = 0;
            for (int j = _n; j < _n + _t; j++)
                k0 += y[j];
            _fixedTarget = (y.AsSpan(0, _n).ToArray(), k0);
        }
        return _fixedTarget.Value;
    }

    private static double Dot(double[] a, double[] b) => VectorMath.Dot(a, b);

    /// <summary>Twice the largest eigenvalue of S K S (or of its training block when alpha is fixed), by 30 power
    /// iterations from a fixed start (an estimate; the solver backtracks when it is too small).</summary>
    private double EstimateLipschitz(bool alphaFixed)
    {
        int size = _n + _t;
        var x = new double[size];
        var y = new double[size];
        for (int i = 0; i < size; i++)
            x[i] = i < _n ? 1.0 / _n : alphaFixed ? 0 : -1.0 / _t;
        double lambda = 0;
        for (int iteration = 0; iteration < 30; iteration++)
        {
            double norm = Math.Sqrt(Dot(x, x));
            if (norm == 0)
                break;
            for (int i = 0; i < size; i++)
                x[i] /= norm;
            Linear(x, y, alphaFixed);
            lambda = Dot(x, y);
            (x, y) = (y, x);
        }
        return Math.Max(2 * lambda * 1.05, 1e-300);
    }

    /// <summary>Solves for one D, starting from <paramref name="start"/> (projected) or from all ones.</summary>
    public KmmSolution Solve(double d, double[]? start, ComponentChannel? channel)
    {
        int size = _n + _t;
        var set = WeightSet.ForD(_n, _t, d, _b);
        bool reduced = set.AlphaFixed;
        int which = reduced ? 1 : 0;
        if (_initialLipschitz[which] == 0)
            _initialLipschitz[which] = EstimateLipschitz(reduced);
        double lipschitz = _initialLipschitz[which];

        var z = new double[size];
        if (start is null)
            Array.Fill(z, 1.0);
        else
            start.CopyTo(z, 0);
        set.Project(z);
        var mz = new double[size];
        if (_reference < 0)
        {
            // The unweighted objective (all weights 1): the scale below which progress no longer matters.
            var ones = new double[size];
            Array.Fill(ones, 1.0);
            Multiply(ones, mz);
            _reference = Math.Max(Dot(ones, mz), 0);
        }
        double floor = 1e-4 * _reference;
        Apply(z, mz, reduced);
        double f = Value(z, mz, reduced);
        var zPrev = (double[])z.Clone();
        var mzPrev = (double[])mz.Clone();
        var y = new double[size];
        var my = new double[size];
        var zNew = new double[size];
        var mzNew = new double[size];
        double tk = 1;
        int small = 0, iteration = 0;
        bool converged = f <= MatchedFraction * _reference;
        while (!converged && iteration < _maximumIterations)
        {
            iteration++;
            if ((iteration & 63) == 0)
                channel?.ThrowIfCanceled();
            double tNext = (1 + Math.Sqrt(1 + 4 * tk * tk)) / 2;
            double momentum = (tk - 1) / tNext;
            for (int i = 0; i < size; i++)
            {
                y[i] = z[i] + momentum * (z[i] - zPrev[i]);
                my[i] = (1 + momentum) * mz[i] - momentum * mzPrev[i];
            }
            double fy = Value(y, my, reduced);
            double fNew;
            int doublings = 0;
            while (true)
            {
                // Gradient 2 M y; step 1/L.
                for (int i = 0; i < size; i++)
                    zNew[i] = y[i] - 2 * my[i] / lipschitz;
                set.Project(zNew);
                Apply(zNew, mzNew, reduced);
                fNew = Value(zNew, mzNew, reduced);
                double linear = 0, quadratic = 0;
                for (int i = 0; i < size; i++)
                {
                    double diff = zNew[i] - y[i];
                    linear += 2 * my[i] * diff;
                    quadratic += diff * diff;
                }
                // Rounding: fy comes from a combination of two products, fNew from a fresh one, so allow a relative
                // slack, and stop backtracking when the step has vanished.
                if (quadratic == 0 || fNew <= fy + linear + 0.5 * lipschitz * quadratic + 1e-10 * Math.Max(Math.Abs(fy), Math.Abs(fNew))
                    || ++doublings > 200)
                    break;
                lipschitz *= 2;
            }
            if (fNew > f)
            {
                // A plain projected-gradient step that does not descend: nothing left to gain at this precision.
                if (momentum == 0)
                {
                    converged = true;
                    break;
                }
                // Momentum overshot: restart from z (the next step is a plain projected-gradient step, a descent step).
                tk = 1;
                Array.Copy(z, zPrev, size);
                Array.Copy(mz, mzPrev, size);
                continue;
            }
            double decrease = f - fNew;
            (zPrev, z, zNew) = (z, zNew, zPrev);
            (mzPrev, mz, mzNew) = (mz, mzNew, mzPrev);
            double previous = f;
            f = fNew;
            tk = tNext;
            small = decrease <= _tolerance * Math.Max(previous, floor) ? small + 1 : 0;
            if (small >= Patience || f <= MatchedFraction * _reference)
                converged = true;
        }
        return new KmmSolution(d, z.AsSpan(0, _n).ToArray(), z.AsSpan(_n, _t).ToArray(), Math.Max(f, 0), iteration, converged, set.Path,
            start is null);
    }
}
