using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.TorchSharp.Pruning;

namespace MLNetExt.TorchSharp.Tests.Pruning;

/// <summary>Small labelled sets in memory for the difficulty-scoring tests.</summary>
internal static class DifficultyData
{
    public const int FeatureCount = 4;

    /// <summary>
    /// A multiclass row: 3 classes as a key, 4 features. LoadFromEnumerable reads a [KeyType(3)] property as the
    /// 0-based class (value v becomes key value v + 1), and a value of 3 or more as a missing key.
    /// </summary>
    public sealed class Multiclass
    {
        [KeyType(3)]
        public uint Label { get; set; }

        [VectorType(FeatureCount)]
        public float[] Features { get; set; } = [];

        public int Id { get; set; }
    }

    /// <summary>A binary row.</summary>
    public sealed class Binary
    {
        public bool Label { get; set; }

        [VectorType(FeatureCount)]
        public float[] Features { get; set; } = [];

        public int Id { get; set; }
    }

    /// <summary>A row without a label column.</summary>
    public sealed class Unlabelled
    {
        [VectorType(FeatureCount)]
        public float[] Features { get; set; } = [];
    }

    /// <summary>
    /// Three Gaussian blobs (centres at distance ~3, unit noise) in 4 features, <paramref name="rows"/> rows, classes
    /// in turn; the labels of rows listed in <paramref name="flipped"/> are moved to the next class.
    /// </summary>
    public static Multiclass[] Blobs(int rows, int seed = 11, IReadOnlySet<int>? flipped = null)
    {
        float[][] centres = [[2, 0, 0, 1], [-1, 2, 0, -1], [-1, -2, 1, 0]];
        var random = new Random(seed);
        var data = new Multiclass[rows];
        for (int i = 0; i < rows; i++)
        {
            int c = i % 3;
            var x = new float[FeatureCount];
            for (int j = 0; j < FeatureCount; j++)
                x[j] = centres[c][j] + (float)Normal(random);
            uint label = (uint)(flipped is not null && flipped.Contains(i) ? (c + 1) % 3 : c);
            data[i] = new Multiclass { Label = label, Features = x, Id = i };
        }
        return data;
    }

    /// <summary>The class value LoadFromEnumerable reads as a missing key.</summary>
    public const uint MissingLabel = 3;

    /// <summary>Two overlapping blobs (binary).</summary>
    public static Binary[] BinaryBlobs(int rows, int seed = 12)
    {
        var random = new Random(seed);
        var data = new Binary[rows];
        for (int i = 0; i < rows; i++)
        {
            bool y = i % 2 == 1;
            var x = new float[FeatureCount];
            for (int j = 0; j < FeatureCount; j++)
                x[j] = (y ? 0.8f : -0.8f) * (j == 0 ? 1 : 0.5f) + (float)Normal(random);
            data[i] = new Binary { Label = y, Features = x, Id = i };
        }
        return data;
    }

    private static double Normal(Random random)
        => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    /// <summary>Small, fast settings: 2 runs of 3 epochs, an 8-unit proxy, one libtorch thread.</summary>
    public static ExampleDifficultyEstimator.Options SmallOptions(int seed = 7) => new()
    {
        NumberOfRuns = 2,
        NumberOfEpochs = 3,
        HiddenLayerSizes = [8],
        BatchSize = 16,
        LearningRate = 1e-2,
        NumberOfThreads = 1,
        Seed = seed,
    };

    public static ExampleDifficultyTransformer Fit(MLContext mlContext, IDataView data, ExampleDifficultyEstimator.Options? options = null)
        => mlContext.Transforms.ScoreExampleDifficulty(options ?? SmallOptions()).Fit(data);

    public static float[] Column(IDataView data, string name) => data.GetColumn<float>(name).ToArray();
}
