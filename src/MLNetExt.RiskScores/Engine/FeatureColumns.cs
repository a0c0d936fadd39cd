using System.Runtime.CompilerServices;
using MLNetExt.Numerics;
namespace MLNetExt.RiskScores.Engine;

/// <summary>
/// The signed, normalised feature columns FasterRisk works on (spec §3.2): column j holds
/// z_ij = y_i (x_ij - mean_j) / norm_j, with the weighted mean and the weighted Euclidean norm of the centred column
/// (so merged rows give the same numbers as the rows they replace); a column whose norm is below 1e-9 is only centred.
/// Column -1 is the intercept (z_i = y_i). A column with at most 64 distinct values also stores a code per row, so
/// that exp(z_ij * delta) needs one exp per distinct value instead of one per row.
/// </summary>
internal sealed class FeatureColumns
{
    private const int MaximumCodes = 128;

    public FeatureColumns(RiskData data)
    {
        Data = data;
        N = data.RowCount;
        D = data.FeatureCount;
        W = data.Weights;
        TotalWeight = data.TotalWeight;
        Y = new double[N];
        for (int i = 0; i < N; i++)
            Y[i] = data.Y[i];
        Mean = new double[D];
        Norm = new double[D];
        Scaled = new bool[D];
        Columns = new double[D][];
        WeightedColumns = new double[D][];
        Codes = new byte[D][];
        CodeValues = new double[D][];
        // Column-major copies first: the passes below read one column at a time.
        Raw = new double[D][];
        for (int j = 0; j < D; j++)
            Raw[j] = new double[N];
        for (int i = 0; i < N; i++)
        {
            var row = data.X.AsSpan(i * D, D);
            for (int j = 0; j < D; j++)
                Raw[j][i] = row[j];
        }
        for (int j = 0; j < D; j++)
        {
            var raw = Raw[j];
            double mean = 0;
            for (int i = 0; i < N; i++)
                mean += W[i] * raw[i];
            mean /= TotalWeight;
            double ss = 0;
            for (int i = 0; i < N; i++)
            {
                double c = raw[i] - mean;
                ss += W[i] * c * c;
            }
            double norm = Math.Sqrt(ss);
            Mean[j] = mean;
            Scaled[j] = norm >= 1e-9;
            Norm[j] = Scaled[j] ? norm : 1;
            var column = new double[N];
            for (int i = 0; i < N; i++)
                column[i] = Y[i] * ((raw[i] - mean) / Norm[j]);
            Columns[j] = column;
            WeightedColumns[j] = new double[N];
            for (int i = 0; i < N; i++)
                WeightedColumns[j][i] = W[i] * column[i];
            BuildCodes(j);
        }
        InterceptCodes = new byte[N];
        for (int i = 0; i < N; i++)
            InterceptCodes[i] = Y[i] > 0 ? (byte)1 : (byte)0;
    }

    public RiskData Data { get; }

    public int N { get; }

    public int D { get; }

    public double[] W { get; }

    public double TotalWeight { get; }

    public double[] Y { get; }

    public double[] Mean { get; }

    /// <summary>The divisor of each column (1 for columns that are only centred).</summary>
    public double[] Norm { get; }

    public bool[] Scaled { get; }

    /// <summary>z_ij by column.</summary>
    public double[][] Columns { get; }

    /// <summary>x_ij by column (original units).</summary>
    public double[][] Raw { get; }

    /// <summary>w_i z_ij by column.</summary>
    public double[][] WeightedColumns { get; }

    /// <summary>Per-row code of z_ij (null when the column has too many distinct values).</summary>
    public byte[]?[] Codes { get; }

    /// <summary>The z value of each code.</summary>
    public double[]?[] CodeValues { get; }

    /// <summary>Codes of the intercept column: 0 for y = -1, 1 for y = +1.</summary>
    public byte[] InterceptCodes { get; }

    private void BuildCodes(int j)
    {
        // Codes from the raw values (a short list searched linearly: most columns have a handful of values), times two
        // for the label's sign.
        var raw = new double[MaximumCodes / 2];
        int distinct = 0, last = 0;
        var codes = new byte[N];
        for (int i = 0; i < N; i++)
        {
            double v = Raw[j][i] + 0.0;
            int code = -1;
            if (distinct > 0 && raw[last] == v)
            {
                code = last;
            }
            else
            {
                for (int c = 0; c < distinct; c++)
                {
                    if (raw[c] == v)
                    {
                        code = c;
                        break;
                    }
                }
                if (code < 0)
                {
                    if (distinct == raw.Length)
                        return;
                    raw[distinct] = v;
                    code = distinct++;
                }
                last = code;
            }
            codes[i] = (byte)(2 * code + (Y[i] > 0 ? 1 : 0));
        }
        var table = new double[2 * distinct];
        for (int c = 0; c < distinct; c++)
        {
            double x = (raw[c] - Mean[j]) / Norm[j];
            table[2 * c] = -x;
            table[2 * c + 1] = x;
        }
        Codes[j] = codes;
        CodeValues[j] = table;
    }

    /// <summary>
    /// Multiplies e_i by exp(z_ij * delta) for every row (rows [start, end)); <paramref name="factors"/> is scratch of
    /// at least 128 values.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Scale(int j, double delta, Span<double> e, Span<double> factors)
    {
        if (delta == 0)
            return;
        var codes = Codes[j];
        if (codes is not null)
        {
            var table = CodeValues[j]!;
            for (int c = 0; c < table.Length; c++)
                factors[c] = Math.Exp(table[c] * delta);
            Kernels.ScaleByCode(e, codes, factors);
            return;
        }
        var column = Columns[j];
        for (int i = 0; i < e.Length; i++)
            e[i] *= Math.Exp(column[i] * delta);
    }

    /// <summary>Multiplies e_i by exp(y_i * delta) (an intercept change).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void ScaleIntercept(double delta, Span<double> e)
    {
        if (delta == 0)
            return;
        double up = Math.Exp(delta), down = Math.Exp(-delta);
        for (int i = 0; i < e.Length; i++)
            e[i] *= Y[i] > 0 ? up : down;
    }

    /// <summary>sum_i w_i z_ij / (1 + e_i): minus the loss gradient of column j, without the ridge term.</summary>
    public double Correlation(int j, ReadOnlySpan<double> e) => Kernels.RatioSum(WeightedColumns[j], e);

    /// <summary>sum_i w_i z_ij r_i for precomputed r_i = 1 / (1 + e_i).</summary>
    public double Dot(int j, ReadOnlySpan<double> r) => VectorMath.Dot(WeightedColumns[j], r);

    /// <summary>The sum loss sum_i w_i log(1 + 1/e_i).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public double SumLoss(ReadOnlySpan<double> e)
    {
        double sum = 0;
        for (int i = 0; i < e.Length; i++)
            sum += W[i] * Math.Log(1 + 1 / e[i]);
        return sum;
    }
}
