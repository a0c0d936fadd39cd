using MLNetExt.Ranking.Engine;
using MLNetExt.Ranking.Native;

namespace MLNetExt.Ranking.Tests.Support;

internal static class RankingTestHelpers
{
    /// <summary>The trees of a LightGBM model text (from the first "Tree=" to "end of trees").</summary>
    public static string TreeSection(string modelText)
    {
        int start = modelText.IndexOf("Tree=", StringComparison.Ordinal);
        int end = modelText.IndexOf("end of trees", StringComparison.Ordinal);
        Assert.IsTrue(start >= 0 && end > start, "model text has no trees");
        return modelText[start..end];
    }

    /// <summary>Native LightGBM training with its own objective on a dataset we give it.</summary>
    public static string TrainNative(LightGbmDataset train, BoosterSettings settings, int iterations, string objective = "lambdarank", string? extra = null)
    {
        using var booster = LightGbmBooster.Create(train, settings.BoosterParameters(objective, extra));
        for (int i = 0; i < iterations; i++)
        {
            if (booster.UpdateOneIteration())
                break;
        }
        return booster.SaveModelToString();
    }

    /// <summary>LightGBM's dataset from the whole dense matrix (LGBM_DatasetCreateFromMat), with fields.</summary>
    public static unsafe LightGbmDataset FromMat(LtrData data, string parameters)
    {
        DatasetHandle handle;
        fixed (float* x = data.Dense)
            LightGbmApi.Check(LightGbmNative.LGBM_DatasetCreateFromMat(x, LightGbmNative.DTypeFloat32, data.RowCount, data.FeatureCount, 1, parameters, IntPtr.Zero, out handle));
        return Wrap(handle, data);
    }

    /// <summary>LightGBM's dataset from the whole CSR matrix (LGBM_DatasetCreateFromCSR), with fields.</summary>
    public static unsafe LightGbmDataset FromCsr(LtrData data, string parameters)
    {
        DatasetHandle handle;
        fixed (int* o = data.CsrOffsets)
        fixed (int* ix = data.CsrIndices)
        fixed (float* v = data.CsrValues)
        {
            LightGbmApi.Check(LightGbmNative.LGBM_DatasetCreateFromCSR(o, LightGbmNative.DTypeInt32, ix, v, LightGbmNative.DTypeFloat32,
                data.CsrOffsets.Length, data.CsrValues.Length, data.FeatureCount, parameters, IntPtr.Zero, out handle));
        }
        return Wrap(handle, data);
    }

    private static LightGbmDataset Wrap(DatasetHandle handle, LtrData data)
    {
        var dataset = LightGbmDataset.Wrap(handle, data.RowCount, data.FeatureCount);
        dataset.SetFields(data.Groups());
        return dataset;
    }

    /// <summary>Mean NDCG@k over queries: gain 2^l - 1, log2 discount, stable ties, IDCG 0 counts 1 (LightGBM's metric).</summary>
    public static double MeanNdcg(ReadOnlySpan<double> scores, float[] labels, int[] offsets, int k)
        => RankingMeasures.Mean(RankingMeasure.Ndcg, labels, scores.ToArray(), offsets, k, RankingMetricOptions.Default);
}
