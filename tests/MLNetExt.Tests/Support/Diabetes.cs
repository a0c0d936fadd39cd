using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetExt.Tests.Support;

/// <summary>The bundled Pima diabetes table as a binary task: 8 features, Boolean label (1 = diabetes).</summary>
internal static class Diabetes
{
    public static IDataView Load(MLContext mlContext)
        => mlContext.Data.CreateTextLoader(
            [
                new TextLoader.Column("Features", DataKind.Single, 0, 7),
                new TextLoader.Column("Label", DataKind.Boolean, 8),
            ],
            separatorChar: ',', hasHeader: true).Load(TestData.Path("tabular/diabetes.csv"));

    /// <summary>Fixed train (50%), calibration (25%) and test (25%) parts.</summary>
    public static (IDataView Train, IDataView Calibration, IDataView Test) Split(MLContext mlContext)
    {
        var data = Load(mlContext);
        var first = mlContext.Data.TrainTestSplit(data, testFraction: 0.5, seed: 7);
        var second = mlContext.Data.TrainTestSplit(first.TestSet, testFraction: 0.5, seed: 7);
        return (first.TrainSet, second.TrainSet, second.TestSet);
    }

    public static IEstimator<ITransformer> FastTree(MLContext mlContext)
        => mlContext.BinaryClassification.Trainers.FastTree(numberOfTrees: 50, numberOfLeaves: 8, minimumExampleCountPerLeaf: 10);

    public sealed class Row
    {
        [VectorType(8)]
        public float[] Features { get; set; } = [];

        public bool Label { get; set; }
    }

    public sealed class Prediction
    {
        public float Score { get; set; }

        public float Probability { get; set; }

        public bool PredictedLabel { get; set; }
    }
}
