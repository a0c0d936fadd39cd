using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetExt.Data;
using MLNetExt.Serialization;
using MLNetExt.Training;

namespace MLNetExt.Tests.Training;

/// <summary>
/// Closed-form linear models that exercise the trainer and prediction-transformer bases end to end (weights, seeds,
/// persistence, every task's outputs) without depending on any real trainer: binary = difference of the weighted class
/// means; multiclass = nearest weighted centroid as a softmax; ranking = weighted covariance of features with the
/// label's deviation from its query mean. A random sign flip of the bias (from the seed) makes determinism testable.
/// </summary>
public sealed class LinearTestModel : IVectorScorer, IPersistentSection<LinearTestModel>
{
    internal LinearTestModel(PredictionTask task, double[][] weights, double[] biases)
    {
        Task = task;
        Weights = weights;
        Biases = biases;
    }

    internal PredictionTask Task { get; }

    /// <summary>One weight vector per output (one for ranking and binary, one per class).</summary>
    public double[][] Weights { get; }

    /// <summary>One bias per output.</summary>
    public double[] Biases { get; }

    public int FeatureCount => Weights[0].Length;

    public int OutputCount => Task switch
    {
        PredictionTask.Ranking => 1,
        PredictionTask.BinaryClassification => 2,
        _ => Weights.Length,
    };

    RowScorer IVectorScorer.CreateRowScorer() => new DenseRowScorer(FeatureCount, Score);

    private void Score(ReadOnlySpan<float> x, Span<double> output)
    {
        var z = new double[Weights.Length];
        for (int k = 0; k < z.Length; k++)
        {
            z[k] = Biases[k];
            for (int j = 0; j < x.Length; j++)
                z[k] += Weights[k][j] * x[j];
        }
        switch (Task)
        {
            case PredictionTask.Ranking:
                output[0] = z[0];
                break;
            case PredictionTask.BinaryClassification:
                output[0] = z[0];
                output[1] = 1 / (1 + Math.Exp(-z[0]));
                break;
            default:
                double max = z.Max(), sum = 0;
                for (int k = 0; k < z.Length; k++)
                    sum += output[k] = Math.Exp(z[k] - max);
                for (int k = 0; k < z.Length; k++)
                    output[k] /= sum;
                break;
        }
    }

    private static readonly ComponentFormat Format = new("MLNetExt.Tests.LinearTestModel", 1);

    static ComponentFormat IPersistentSection<LinearTestModel>.Format => Format;

    ComponentFormat IPersistentSection.SectionFormat => Format;

    void IPersistentSection.Save(ModelStateWriter writer)
    {
        writer.WriteEnum(Task);
        writer.Write(Weights.Length);
        foreach (var w in Weights)
            writer.Write(w);
        writer.Write(Biases);
    }

    static LinearTestModel IPersistentSection<LinearTestModel>.Load(ModelStateReader reader)
    {
        var task = reader.ReadEnum<PredictionTask>("the task");
        int outputs = reader.ReadInt32("the output count", 1, 1000);
        var weights = new double[outputs][];
        for (int k = 0; k < outputs; k++)
            weights[k] = reader.ReadDoubleArray("the weights");
        return new LinearTestModel(task, weights, reader.ReadDoubleArray("the biases"));
    }
}

/// <summary>Options of the test trainers.</summary>
public sealed class LinearTestOptions : RankingTrainerOptionsBase
{
}

/// <summary>The binary test trainer.</summary>
public sealed class LinearBinaryTestTrainer : TrainerBase<BinaryClassificationModelTransformer<LinearTestModel>, LinearTestModel>
{
    internal LinearBinaryTestTrainer(IHostEnvironment env, LinearTestOptions options)
        : base(env, options, "LinearBinaryTest", PredictionTask.BinaryClassification)
    {
    }

    private protected override BinaryClassificationModelTransformer<LinearTestModel> FitCore(TrainingContext context)
    {
        var o = TrainerOptions;
        var reader = new DataViewColumnReader(context.TrainData, "LinearBinaryTest");
        var x = reader.AddVector(o.FeatureColumnName, "feature", ValueRule.Finite);
        var y = reader.AddBoolean(o.LabelColumnName, "label");
        var w = reader.AddWeights(o.ExampleWeightColumnName);
        int n = reader.Read(context.Channel);
        var means = LinearTestFits.ClassMeans(x, n, i => y.Values[i] ? 1 : 0, 2, w?.Values);
        var weights = new double[x.Size];
        double bias = 0;
        for (int j = 0; j < x.Size; j++)
        {
            weights[j] = means[1][j] - means[0][j];
            bias -= weights[j] * (means[1][j] + means[0][j]) / 2;
        }
        bias += LinearTestFits.SeedNudge(context.Seed);
        return new BinaryClassificationModelTransformer<LinearTestModel>(
            new LinearTestModel(PredictionTask.BinaryClassification, [weights], [bias]), o.FeatureColumnName);
    }
}

/// <summary>The multiclass test trainer.</summary>
public sealed class LinearMulticlassTestTrainer : TrainerBase<MulticlassClassificationModelTransformer<LinearTestModel>, LinearTestModel>
{
    internal LinearMulticlassTestTrainer(IHostEnvironment env, LinearTestOptions options)
        : base(env, options, "LinearMulticlassTest", PredictionTask.MulticlassClassification)
    {
    }

    private protected override MulticlassClassificationModelTransformer<LinearTestModel> FitCore(TrainingContext context)
    {
        var o = TrainerOptions;
        var reader = new DataViewColumnReader(context.TrainData, "LinearMulticlassTest");
        var x = reader.AddVector(o.FeatureColumnName, "feature", ValueRule.Finite);
        var y = reader.AddClassLabel(o.LabelColumnName, "label", null);
        var w = reader.AddWeights(o.ExampleWeightColumnName);
        int n = reader.Read(context.Channel);
        int k = y.ClassCount;
        var centroids = LinearTestFits.ClassMeans(x, n, i => y.Values[i], k, w?.Values);
        var biases = centroids.Select(c => -0.5 * c.Sum(v => v * v) + LinearTestFits.SeedNudge(context.Seed)).ToArray();
        var names = LabelKeyValues.FromColumn(context.TrainData.Schema[o.LabelColumnName]);
        return new MulticlassClassificationModelTransformer<LinearTestModel>(
            new LinearTestModel(PredictionTask.MulticlassClassification, centroids, biases), o.FeatureColumnName, names);
    }
}

/// <summary>The ranking test trainer.</summary>
public sealed class LinearRankingTestTrainer : TrainerBase<RankingModelTransformer<LinearTestModel>, LinearTestModel>
{
    internal LinearRankingTestTrainer(IHostEnvironment env, LinearTestOptions options)
        : base(env, options, "LinearRankingTest", PredictionTask.Ranking)
    {
    }

    private protected override RankingModelTransformer<LinearTestModel> FitCore(TrainingContext context)
    {
        var o = TrainerOptions;
        var reader = new DataViewColumnReader(context.TrainData, "LinearRankingTest");
        var x = reader.AddVector(o.FeatureColumnName, "feature", ValueRule.Any);
        var label = reader.AddRelevanceLabel(o.LabelColumnName, "label");
        var group = reader.AddId(((RankingTrainerOptionsBase)o).RowGroupColumnName, "group");
        var w = reader.AddWeights(o.ExampleWeightColumnName);
        int n = reader.Read(context.Channel);
        var groups = GroupBoundaries.FromRuns(group.Values, ((RankingTrainerOptionsBase)o).RowGroupColumnName);
        var weights = new double[x.Size];
        for (int g = 0; g < groups.Count; g++)
        {
            int start = groups.Offsets[g], end = groups.Offsets[g + 1];
            double mean = 0;
            for (int i = start; i < end; i++)
                mean += label.Values[i];
            mean /= end - start;
            for (int i = start; i < end; i++)
            {
                double c = (label.Values[i] - mean) * (w?.Values[i] ?? 1);
                for (int j = 0; j < x.Size; j++)
                {
                    float v = x.Values[(long)i * x.Size + j];
                    if (!float.IsNaN(v))
                        weights[j] += c * v;
                }
            }
        }
        return new RankingModelTransformer<LinearTestModel>(
            new LinearTestModel(PredictionTask.Ranking, [weights], [LinearTestFits.SeedNudge(context.Seed)]), o.FeatureColumnName);
    }
}

internal static class LinearTestFits
{
    /// <summary>A small bias offset that depends on the seed: same seed, same model; another seed, another model.</summary>
    public static double SeedNudge(int seed) => (seed % 1000) * 1e-6;

    public static double[][] ClassMeans(VectorColumn x, int n, Func<int, int> classOf, int classCount, double[]? weights)
    {
        var means = new double[classCount][];
        var totals = new double[classCount];
        for (int k = 0; k < classCount; k++)
            means[k] = new double[x.Size];
        for (int i = 0; i < n; i++)
        {
            int k = classOf(i);
            double w = weights?[i] ?? 1;
            totals[k] += w;
            for (int j = 0; j < x.Size; j++)
                means[k][j] += w * x.Values[(long)i * x.Size + j];
        }
        for (int k = 0; k < classCount; k++)
        {
            if (totals[k] == 0)
                throw new InvalidOperationException($"Class {k} has no rows with weight above 0; LinearTest needs every class.");
            for (int j = 0; j < x.Size; j++)
                means[k][j] /= totals[k];
        }
        return means;
    }
}

/// <summary>Catalog methods, as a real family would have them.</summary>
public static class LinearTestCatalog
{
    public static LinearBinaryTestTrainer LinearTest(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog, LinearTestOptions? options = null)
        => new(global::MLNetExt.Interop.MLNetBridge.GetEnvironment(catalog), options ?? new LinearTestOptions());

    public static LinearMulticlassTestTrainer LinearTest(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, LinearTestOptions? options = null)
        => new(global::MLNetExt.Interop.MLNetBridge.GetEnvironment(catalog), options ?? new LinearTestOptions());

    public static LinearRankingTestTrainer LinearTest(this RankingCatalog.RankingTrainers catalog, LinearTestOptions? options = null)
        => new(global::MLNetExt.Interop.MLNetBridge.GetEnvironment(catalog), options ?? new LinearTestOptions());
}

/// <summary>The tasks of <see cref="LinearTestData.Small"/>.</summary>
public enum PredictionTaskName
{
    Binary,
    Multiclass,
    Ranking,
}

/// <summary>Tiny inputs for the test trainers (persistence catalog examples).</summary>
public static class LinearTestData
{
    private sealed class Row
    {
        [VectorType(2)]
        public float[] Features { get; set; } = [];

        public bool Label { get; set; }

        public uint Class { get; set; }

        public float Grade { get; set; }

        public uint Query { get; set; }
    }

    public static IDataView Small(MLContext ml, PredictionTaskName task)
    {
        var rows = Enumerable.Range(0, 12).Select(i => new Row
        {
            Features = [i % 4, i / 4f - 1],
            Label = i % 4 >= 2,
            Class = (uint)(i % 3),
            Grade = i % 4,
            Query = (uint)(i / 4),
        });
        var data = ml.Data.LoadFromEnumerable(rows);
        return task switch
        {
            PredictionTaskName.Multiclass => ml.Transforms.Conversion.MapValueToKey("Label", "Class").Fit(data).Transform(data),
            PredictionTaskName.Ranking => ml.Transforms.CopyColumns("Label", "Grade")
                .Append(ml.Transforms.Conversion.MapValueToKey("GroupId", "Query")).Fit(data).Transform(data),
            _ => data,
        };
    }
}
