using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Serialization;

namespace MLNetExt.Tests.Support;

/// <summary>
/// The shared conformance checks of docs/style.md §13 for an MLNetExt estimator and its transformer: the estimator's
/// output shape matches the transformer's schema, Transform equals the row-to-row mapper (what PredictionEngine
/// runs) row by row, fitting twice gives identical saved state, and the transformer survives Save/Load in a fresh
/// MLContext with identical outputs. Checks that do not apply are skipped by name at the call site.
/// </summary>
internal static class Conformance
{
    public static void Check(IEstimator<ITransformer> estimator, IDataView fitData, IDataView applyData, string outputColumn)
    {
        string name = estimator.GetType().Name;
        var transformer = estimator.Fit(fitData);
        var output = transformer.Transform(applyData);

        // GetOutputSchema(SchemaShape) matches Transform(...).Schema for the new column.
        var shape = estimator.GetOutputSchema(Shapes.From(applyData.Schema)).Single(c => c.Name == outputColumn);
        var type = output.Schema[outputColumn].Type;
        Assert.AreEqual(type is VectorDataViewType v ? v.ItemType : type, shape.ItemType, $"{name}: item type");
        Assert.AreEqual(type is VectorDataViewType ? SchemaShape.Column.VectorKind.Vector : SchemaShape.Column.VectorKind.Scalar, shape.Kind, $"{name}: kind");
        Assert.AreEqual(type, transformer.GetOutputSchema(applyData.Schema)[outputColumn].Type, $"{name}: GetOutputSchema(DataViewSchema)");

        // Transform over the whole view equals the row-to-row mapper, row by row.
        var batch = Values(output, outputColumn);
        var mapper = transformer.GetRowToRowMapper(applyData.Schema);
        var column = mapper.OutputSchema[outputColumn];
        using (var cursor = applyData.GetRowCursor(mapper.GetDependencies([column])))
        {
            using var row = mapper.GetRow(cursor, [column]);
            var read = Reader(row, column);
            int i = 0;
            while (cursor.MoveNext())
            {
                CollectionAssert.AreEqual(batch[i], read(), $"{name}: row {i}");
                i++;
            }
            Assert.AreEqual(batch.Count, i, $"{name}: row count");
        }

        // Fitting twice on the same data gives the same saved state.
        var again = (IPersistentComponent)estimator.Fit(fitData);
        CollectionAssert.AreEqual(ModelPersistence.ToBytes((IPersistentComponent)transformer), ModelPersistence.ToBytes(again), $"{name}: deterministic fit");

        // Save and Load in a fresh MLContext: identical outputs.
        string path = Path.Combine(Path.GetTempPath(), $"conformance-{Guid.NewGuid():N}.zip");
        try
        {
            new MLContext(seed: 1).Model.Save(transformer, applyData.Schema, path);
            var loaded = new MLContext(seed: 2).Model.Load(path, out _);
            var reloaded = Values(loaded.Transform(applyData), outputColumn);
            for (int r = 0; r < batch.Count; r++)
                CollectionAssert.AreEqual(batch[r], reloaded[r], $"{name}: reloaded row {r}");
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static List<float[]> Values(IDataView data, string column)
    {
        var col = data.Schema[column];
        var values = new List<float[]>();
        using var cursor = data.GetRowCursor([col]);
        var read = Reader(cursor, col);
        while (cursor.MoveNext())
            values.Add(read());
        return values;
    }

    private static Func<float[]> Reader(DataViewRow row, DataViewSchema.Column column)
    {
        if (column.Type is VectorDataViewType)
        {
            var getter = row.GetGetter<VBuffer<float>>(column);
            return () =>
            {
                VBuffer<float> value = default;
                getter(ref value);
                return value.DenseValues().ToArray();
            };
        }
        var scalar = row.GetGetter<float>(column);
        return () =>
        {
            float value = 0;
            scalar(ref value);
            return [value];
        };
    }
}
