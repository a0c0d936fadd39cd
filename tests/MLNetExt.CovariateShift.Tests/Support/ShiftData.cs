using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.CovariateShift.Experiments;
using MLNetExt.Tests.Support;

namespace MLNetExt.CovariateShift.Tests.Support;

/// <summary>Shifted splits of the bundled sets as ML.NET data views (Features: Vector&lt;Single, d&gt;, Label: Boolean).</summary>
internal static class ShiftData
{
    private sealed class Row
    {
        public float[] Features { get; set; } = [];

        public bool Label { get; set; }

        public uint Class { get; set; }
    }

    public static ShiftSplit Split(string set, int shift, int seed)
        => CovariateShiftProtocol.Split(ShiftDataSet.Load(TestData.Path($"tabular/{set}.csv"), set), shift, seed);

    /// <summary>The rows as a data view; with <paramref name="classes"/>, also a key label "ClassKey" (3 classes cut from feature 0's tertiles when asked).</summary>
    public static IDataView View(MLContext ml, float[] x, bool[] y, int d)
    {
        var rows = Enumerable.Range(0, y.Length).Select(i => new Row { Features = x.AsSpan(i * d, d).ToArray(), Label = y[i] }).ToArray();
        var schema = SchemaDefinition.Create(typeof(Row));
        schema["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, d);
        var view = ml.Data.LoadFromEnumerable(rows, schema);
        return ml.Transforms.DropColumns("Class").Fit(view).Transform(view);
    }

    /// <summary>A three-class version: class = 2 if labelled positive, else 0 or 1 by the sign of feature 1; as a key "Label".</summary>
    public static IDataView ThreeClassView(MLContext ml, float[] x, bool[] y, int d)
    {
        var rows = Enumerable.Range(0, y.Length).Select(i => new Row
        {
            Features = x.AsSpan(i * d, d).ToArray(),
            Class = y[i] ? 2u : x[i * d + 1] > 0 ? 1u : 0u,
        }).ToArray();
        var schema = SchemaDefinition.Create(typeof(Row));
        schema["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, d);
        var view = ml.Data.LoadFromEnumerable(rows, schema);
        var keyed = ml.Transforms.Conversion.MapValueToKey("LabelKey", "Class", keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
            .Fit(view).Transform(view);
        return ml.Transforms.DropColumns("Label").Append(ml.Transforms.CopyColumns("Label", "LabelKey")).Fit(keyed).Transform(keyed);
    }

    /// <summary>The diabetes PCA split of repetition 0 as (train, target) views.</summary>
    public static (IDataView Train, IDataView Target, ShiftSplit Split) Diabetes(MLContext ml, int shift = CovariateShiftProtocol.Pca, int seed = 0)
    {
        var split = Split("diabetes", shift, seed);
        return (View(ml, split.TrainFeatures, split.TrainLabels, split.Dimension), View(ml, split.TargetFeatures, split.TargetLabels, split.Dimension), split);
    }
}
