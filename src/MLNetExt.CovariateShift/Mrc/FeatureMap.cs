using MLNetExt.CovariateShift.Kernels;
using MLNetExt.Numerics;
using MLNetExt.Serialization;

namespace MLNetExt.CovariateShift.Mrc;

/// <summary>
/// psi(x), and the one-hot joint map Phi(x, y) = e_y ⊗ psi(x) of length K m that the classifier's parameters mu
/// multiply (spec §1.2; the paper's repository uses this form for every K; MRCpy uses a shorter +psi/-psi form for
/// two classes, which is a different parameterization of the same classifiers with another L1 penalty).
/// </summary>
internal sealed class FeatureMap
{
    private readonly float[] _frequencies; // inputDimension x frequencyCount, row-major (W)

    public FeatureMap(FeatureMapKind kind, int inputDimension, bool fitIntercept, float[] frequencies, int frequencyCount, double bandwidth)
    {
        Kind = kind;
        InputDimension = inputDimension;
        FitIntercept = fitIntercept;
        _frequencies = frequencies;
        FrequencyCount = frequencyCount;
        Bandwidth = bandwidth;
        Length = (fitIntercept ? 1 : 0) + (kind == FeatureMapKind.Linear ? inputDimension : 2 * frequencyCount);
    }

    public FeatureMapKind Kind { get; }

    public int InputDimension { get; }

    public bool FitIntercept { get; }

    /// <summary>D / 2, the number of frequencies (random Fourier features only).</summary>
    public int FrequencyCount { get; }

    /// <summary>sigma of the random Fourier features (0 for the linear map).</summary>
    public double Bandwidth { get; }

    /// <summary>m, the length of psi(x).</summary>
    public int Length { get; }

    /// <summary>A linear map.</summary>
    public static FeatureMap CreateLinear(int inputDimension, bool fitIntercept)
        => new(FeatureMapKind.Linear, inputDimension, fitIntercept, [], 0, 0);

    /// <summary>
    /// Random Fourier features with <paramref name="components"/> = D features (D / 2 frequencies), W drawn from the
    /// seed; sigma given, or MRCpy's 'scale' rule sqrt(d var(X) / 2) over all entries of the training rows.
    /// </summary>
    public static FeatureMap CreateRandomFourier(int inputDimension, bool fitIntercept, int components, double? sigma,
        float[] train, int rows, int seed)
    {
        double bandwidth = sigma ?? ScaleRule(train, rows, inputDimension);
        if (!(bandwidth > 0) || !double.IsFinite(bandwidth))
            throw new InvalidOperationException($"The random Fourier feature bandwidth is {bandwidth}: the training features do not vary. Set RandomFourierBandwidth.");
        int frequencies = components / 2;
        var w = new float[inputDimension * frequencies];
        var random = new CounterRandomStream(CounterRandom.SeedKey(seed), CounterRandom.Stream(0x5246, 0));
        for (int i = 0; i < w.Length; i++)
            w[i] = (float)(random.NextNormal() / bandwidth);
        return new FeatureMap(FeatureMapKind.RandomFourier, inputDimension, fitIntercept, w, frequencies, bandwidth);
    }

    /// <summary>sqrt(d var(X) / 2), the variance over every entry of the rows.</summary>
    internal static double ScaleRule(float[] rows, int rowCount, int dimension)
    {
        double mean = 0, m2 = 0;
        long count = 0;
        for (long i = 0; i < (long)rowCount * dimension; i++)
        {
            count++;
            double delta = rows[i] - mean;
            mean += delta / count;
            m2 += delta * (rows[i] - mean);
        }
        return Math.Sqrt(dimension * (m2 / Math.Max(1, count)) / 2);
    }

    /// <summary>The frequencies W (input dimension x D / 2, row-major).</summary>
    public ReadOnlySpan<float> Frequencies => _frequencies;

    /// <summary>Writes psi(x) (length <see cref="Length"/>).</summary>
    public void Map(ReadOnlySpan<float> x, Span<double> psi)
    {
        int offset = 0;
        if (FitIntercept)
            psi[offset++] = 1;
        if (Kind == FeatureMapKind.Linear)
        {
            for (int j = 0; j < x.Length; j++)
                psi[offset + j] = x[j];
            return;
        }
        int f = FrequencyCount;
        double scale = 1 / Math.Sqrt(f);
        var projection = psi.Slice(offset, f);
        projection.Clear();
        for (int j = 0; j < InputDimension; j++)
        {
            double xj = x[j];
            if (xj == 0)
                continue;
            var row = _frequencies.AsSpan(j * f, f);
            for (int k = 0; k < f; k++)
                projection[k] += xj * row[k];
        }
        for (int k = 0; k < f; k++)
        {
            double angle = projection[k];
            psi[offset + k] = scale * Math.Cos(angle);
            psi[offset + f + k] = scale * Math.Sin(angle);
        }
    }

    /// <summary>psi of every row, row-major (rows x <see cref="Length"/>).</summary>
    public double[] MapRows(float[] rows, int rowCount)
    {
        int m = Length;
        var result = new double[(long)rowCount * m];
        Blocks.For((rowCount + 255) / 256, block =>
        {
            int end = Math.Min(rowCount, (block + 1) * 256);
            for (int i = block * 256; i < end; i++)
                Map(rows.AsSpan(i * InputDimension, InputDimension), result.AsSpan(i * m, m));
        });
        return result;
    }

    public void Save(ModelStateWriter writer)
    {
        writer.WriteEnum(Kind);
        writer.Write(InputDimension);
        writer.Write(FitIntercept);
        writer.Write(FrequencyCount);
        writer.Write(Bandwidth);
        writer.Write(_frequencies);
    }

    public static FeatureMap Load(ModelStateReader reader)
    {
        var kind = reader.ReadEnum<FeatureMapKind>("the feature map");
        int dimension = reader.ReadInt32("the input dimension", 1, int.MaxValue);
        bool intercept = reader.ReadBoolean();
        int frequencies = reader.ReadInt32("the random Fourier frequency count", 0, int.MaxValue);
        double bandwidth = reader.ReadFiniteDouble("the random Fourier bandwidth");
        var w = reader.ReadSingleArray("the random Fourier frequencies");
        reader.Check(kind == FeatureMapKind.Linear ? frequencies == 0 && w.Length == 0 : frequencies > 0 && (long)w.Length == (long)dimension * frequencies && bandwidth > 0,
            $"the {kind} feature map has {frequencies} frequencies and {w.Length} frequency values for {dimension} inputs");
        return new FeatureMap(kind, dimension, intercept, w, frequencies, bandwidth);
    }
}
