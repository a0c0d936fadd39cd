using System.Globalization;

namespace MLNetExt.CovariateShift.Experiments;

/// <summary>A binary data set read for the shift protocol: z-scored features (population standard deviation) and labels.</summary>
/// <param name="Name">The file's name without extension.</param>
/// <param name="Features">Row-major z-scored features.</param>
/// <param name="Labels">True for the positive class.</param>
/// <param name="Rows">Rows kept (rows with a missing value are dropped).</param>
/// <param name="Dimension">Features per row.</param>
/// <param name="DroppedRows">Rows dropped for a missing value.</param>
internal sealed record ShiftDataSet(string Name, double[] Features, bool[] Labels, int Rows, int Dimension, int DroppedRows)
{
    /// <summary>
    /// The positive class of each bundled data set (their own codings differ: haberman 1 = survived 5 years, 2 = died;
    /// indianLiverPatient 1 = liver patient, 2 = not; diabetes and mammographic 0/1).
    /// </summary>
    public static string PositiveLabel(string name) => name switch
    {
        "haberman" => "2",
        "indianLiverPatient" => "2",
        "diabetes" => "1",
        "mammographic" => "1",
        _ => throw new ArgumentException($"No label coding is known for '{name}'.", nameof(name)),
    };

    /// <summary>Reads data/tabular/&lt;name&gt;.csv (header, last column the label, empty field = missing).</summary>
    public static ShiftDataSet Load(string path, string name)
    {
        string positive = PositiveLabel(name);
        var rows = new List<double[]>();
        var labels = new List<bool>();
        int dropped = 0;
        foreach (string line in File.ReadLines(path).Skip(1))
        {
            if (line.Length == 0)
                continue;
            var parts = line.Split(',');
            if (parts.Any(p => p.Length == 0))
            {
                dropped++;
                continue;
            }
            rows.Add(parts[..^1].Select(p => double.Parse(p, CultureInfo.InvariantCulture)).ToArray());
            string label = parts[^1].Trim();
            labels.Add(label == positive);
        }
        int n = rows.Count, d = rows[0].Length;
        var x = new double[n * d];
        for (int j = 0; j < d; j++)
        {
            double mean = rows.Average(r => r[j]);
            double sd = Math.Sqrt(rows.Average(r => (r[j] - mean) * (r[j] - mean)));
            for (int i = 0; i < n; i++)
                x[i * d + j] = sd > 0 ? (rows[i][j] - mean) / sd : 0;
        }
        return new ShiftDataSet(name, x, labels.ToArray(), n, d, dropped);
    }
}

/// <summary>One shifted train/target split.</summary>
internal sealed record ShiftSplit(float[] TrainFeatures, bool[] TrainLabels, float[] TargetFeatures, bool[] TargetLabels, int Dimension)
{
    public int TrainRows => TrainLabels.Length;

    public int TargetRows => TargetLabels.Length;
}

/// <summary>
/// The paper's shift synthesis (spec §1.8; MRCs-for-Covariate-Shift-Adaptation <c>Experiments_Paper/CovShiftGen.py</c>, commit
/// 9ed969a): feature shift on feature f: a row with x_f &lt;= median goes to the training pool with probability 0.7,
/// otherwise with probability 0.3; PCA shift: the projection on the first right singular vector of the (uncentred)
/// z-scored data, a row with projection &gt;= median goes to training with probability 0.7, otherwise 0.3; then n = 500 rows
/// are drawn from the training pool if it has at least 1,000, else round(N / 2) (half to even, as Python's round), and
/// the same for the target pool. Randomness: System.Random seeded per repetition.
/// </summary>
internal static class CovariateShiftProtocol
{
    /// <summary>The PCA shift, as a shift index.</summary>
    public const int Pca = -1;

    public static ShiftSplit Split(ShiftDataSet data, int shift, int seed)
    {
        int n = data.Rows, d = data.Dimension;
        var score = new double[n];
        if (shift == Pca)
        {
            var v = FirstRightSingularVector(data.Features, n, d);
            for (int i = 0; i < n; i++)
            {
                double s = 0;
                for (int j = 0; j < d; j++)
                    s += data.Features[i * d + j] * v[j];
                score[i] = s;
            }
        }
        else
        {
            for (int i = 0; i < n; i++)
                score[i] = data.Features[i * d + shift];
        }
        double median = Median(score);
        var random = new Random(seed);
        var trainPool = new List<int>();
        var targetPool = new List<int>();
        for (int i = 0; i < n; i++)
        {
            bool low = shift == Pca ? score[i] < median : score[i] <= median;
            double toTrain = low ? (shift == Pca ? 0.3 : 0.7) : (shift == Pca ? 0.7 : 0.3);
            (random.NextDouble() <= toTrain ? trainPool : targetPool).Add(i);
        }
        var train = Subsample(trainPool, random);
        var target = Subsample(targetPool, random);
        return new ShiftSplit(Take(data, train), train.Select(i => data.Labels[i]).ToArray(), Take(data, target),
            target.Select(i => data.Labels[i]).ToArray(), d);
    }

    private static int[] Subsample(List<int> pool, Random random)
    {
        int size = pool.Count >= 1000 ? 500 : (int)Math.Round(pool.Count / 2.0, MidpointRounding.ToEven);
        var order = pool.ToArray();
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order[..size];
    }

    private static float[] Take(ShiftDataSet data, int[] rows)
    {
        int d = data.Dimension;
        var x = new float[rows.Length * d];
        for (int r = 0; r < rows.Length; r++)
        {
            for (int j = 0; j < d; j++)
                x[r * d + j] = (float)data.Features[rows[r] * d + j];
        }
        return x;
    }

    /// <summary>The median (the mean of the two middle values for an even count, as numpy).</summary>
    public static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        int m = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[m] : 0.5 * (sorted[m - 1] + sorted[m]);
    }

    /// <summary>The top right singular vector of X (the top eigenvector of X'X), by power iteration; sign: largest entry positive.</summary>
    public static double[] FirstRightSingularVector(double[] x, int n, int d)
    {
        var gram = new double[d * d];
        for (int i = 0; i < n; i++)
        {
            for (int a = 0; a < d; a++)
            {
                for (int b = 0; b < d; b++)
                    gram[a * d + b] += x[i * d + a] * x[i * d + b];
            }
        }
        var v = Enumerable.Repeat(1.0 / Math.Sqrt(d), d).ToArray();
        for (int iteration = 0; iteration < 1000; iteration++)
        {
            var w = new double[d];
            for (int a = 0; a < d; a++)
            {
                for (int b = 0; b < d; b++)
                    w[a] += gram[a * d + b] * v[b];
            }
            double norm = Math.Sqrt(w.Sum(c => c * c));
            double change = 0;
            for (int a = 0; a < d; a++)
            {
                change = Math.Max(change, Math.Abs(w[a] / norm - v[a]));
                v[a] = w[a] / norm;
            }
            if (change < 1e-14)
                break;
        }
        int largest = 0;
        for (int a = 1; a < d; a++)
        {
            if (Math.Abs(v[a]) > Math.Abs(v[largest]))
                largest = a;
        }
        if (v[largest] < 0)
        {
            for (int a = 0; a < d; a++)
                v[a] = -v[a];
        }
        return v;
    }
}
