using System.Runtime.CompilerServices;
namespace MLNetExt.RiskScores.Engine;

/// <summary>
/// RiskSLIM's loss (spec §2.1, §2.3): the weighted mean logistic loss L(rho) = (1/W) sum_i w_i log(1 + exp(-z_i . rho))
/// of coefficients rho = (intercept, points), with z_i = y_i (1, x_i); its gradient (the cut at rho); and the
/// objective V(rho) = L(rho) + sum_j C0_j 1[rho_j != 0]. When every feature is a whole number and rho is integral,
/// the margins are whole numbers and the loss and its derivative come from a table (lookup mode, §2.3).
/// </summary>
internal sealed class LogisticLoss
{
    private const int MaximumTableHalfWidth = 1 << 20;
    private readonly double[] _z;          // row-major rows x P
    private readonly double[] _w;          // w_i / W
    private readonly double[]? _lossTable; // loss of margin s at [s + _tableOffset]
    private readonly double[]? _slopeTable;
    private readonly int _tableOffset;

    /// <param name="data">The rows.</param>
    /// <param name="penalties">C0_j for j = 0..d (index 0 = intercept, normally 0).</param>
    /// <param name="largestMargin">A bound on |z_i . rho| over the coefficient box; sizes the lookup table.</param>
    public LogisticLoss(RiskData data, double[] penalties, double largestMargin)
    {
        Data = data;
        P = data.FeatureCount + 1;
        Rows = data.RowCount;
        Penalties = penalties;
        _z = new double[Rows * P];
        _w = new double[Rows];
        for (int i = 0; i < Rows; i++)
        {
            double y = data.Y[i];
            _z[i * P] = y;
            for (int j = 0; j < data.FeatureCount; j++)
                _z[i * P + j + 1] = y * data[i, j];
            _w[i] = data.Weights[i] / data.TotalWeight;
        }
        if (data.IntegerFeatures && largestMargin < MaximumTableHalfWidth)
        {
            int half = (int)Math.Ceiling(largestMargin) + 1;
            _tableOffset = half;
            _lossTable = new double[2 * half + 1];
            _slopeTable = new double[2 * half + 1];
            for (int s = -half; s <= half; s++)
            {
                _lossTable[s + half] = Loss(s);
                _slopeTable[s + half] = Slope(s);
            }
        }
    }

    /// <summary>The rows.</summary>
    public RiskData Data { get; }

    /// <summary>Coefficients including the intercept (d + 1).</summary>
    public int P { get; }

    /// <summary>Rows.</summary>
    public int Rows { get; }

    /// <summary>C0_j per coefficient (index 0 = intercept).</summary>
    public double[] Penalties { get; }

    /// <summary>Whether integral coefficients are scored from the lookup table.</summary>
    public bool UsesLookup => _lossTable is not null;

    /// <summary>z_ij = y_i x_ij (z_i0 = y_i).</summary>
    public double Z(int i, int j) => _z[i * P + j];

    /// <summary>Row i's share of the total weight.</summary>
    public double Share(int i) => _w[i];

    /// <summary>log(1 + exp(-m)), stable for any m.</summary>
    public static double Loss(double m) => m > 0 ? Math.Log(1 + Math.Exp(-m)) : -m + Math.Log(1 + Math.Exp(m));

    /// <summary>d/dm log(1 + exp(-m)) = sigmoid(m) - 1 = -1 / (1 + exp(m)).</summary>
    public static double Slope(double m) => m > 0 ? -Math.Exp(-m) / (1 + Math.Exp(-m)) : -1 / (1 + Math.Exp(m));

    /// <summary>The margin z_i . rho.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public double Margin(int i, ReadOnlySpan<double> rho)
    {
        var row = _z.AsSpan(i * P, P);
        double m = 0;
        for (int j = 0; j < row.Length; j++)
            m += row[j] * rho[j];
        return m;
    }

    /// <summary>The mean loss L(rho).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public double Value(ReadOnlySpan<double> rho)
    {
        bool lookup = _lossTable is not null && IsIntegral(rho);
        double sum = 0;
        for (int i = 0; i < Rows; i++)
        {
            double m = Margin(i, rho);
            sum += _w[i] * (lookup ? TableLoss(m) : Loss(m));
        }
        return sum;
    }

    /// <summary>The mean loss and its gradient at rho (the cut: theta &gt;= L + g . (x - rho)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public double ValueAndGradient(ReadOnlySpan<double> rho, Span<double> gradient)
    {
        bool lookup = _lossTable is not null && IsIntegral(rho);
        gradient.Clear();
        double sum = 0;
        for (int i = 0; i < Rows; i++)
        {
            double m = Margin(i, rho);
            double loss, slope;
            if (lookup && TryTable(m, out loss, out slope))
            {
            }
            else
            {
                loss = Loss(m);
                slope = Slope(m);
            }
            sum += _w[i] * loss;
            double c = _w[i] * slope;
            var row = _z.AsSpan(i * P, P);
            for (int j = 0; j < row.Length; j++)
                gradient[j] += c * row[j];
        }
        return sum;
    }

    /// <summary>V(rho) = L(rho) + sum_j C0_j 1[rho_j != 0].</summary>
    public double Objective(ReadOnlySpan<double> rho) => Value(rho) + Penalty(rho);

    /// <summary>sum_j C0_j 1[rho_j != 0].</summary>
    public double Penalty(ReadOnlySpan<double> rho)
    {
        double p = 0;
        for (int j = 0; j < rho.Length; j++)
        {
            if (rho[j] != 0)
                p += Penalties[j];
        }
        return p;
    }

    /// <summary>Whether every value is a whole number.</summary>
    public static bool IsIntegral(ReadOnlySpan<double> rho)
    {
        foreach (double r in rho)
        {
            if (r != Math.Floor(r))
                return false;
        }
        return true;
    }

    private double TableLoss(double m) => TryTable(m, out double loss, out _) ? loss : Loss(m);

    private bool TryTable(double m, out double loss, out double slope)
    {
        int k = (int)m + _tableOffset;
        if (k >= 0 && k < _lossTable!.Length)
        {
            loss = _lossTable[k];
            slope = _slopeTable![k];
            return true;
        }
        loss = slope = 0;
        return false;
    }
}
