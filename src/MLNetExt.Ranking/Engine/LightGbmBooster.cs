using System.Text;
using MLNetExt.Ranking.Native;

namespace MLNetExt.Ranking.Engine;

/// <summary>A LightGBM booster: creation, one iteration at a time, scores, leaf values, model text, prediction.</summary>
internal sealed class LightGbmBooster : IDisposable
{
    private LightGbmBooster(BoosterHandle handle) => Handle = handle;

    /// <summary>The native handle.</summary>
    public BoosterHandle Handle { get; }

    /// <summary>Creates a booster on <paramref name="train"/> with a LightGBM parameter string.</summary>
    public static LightGbmBooster Create(LightGbmDataset train, string parameters)
    {
        Guard.NotNull(train, nameof(train));
        LightGbmApi.Check(LightGbmNative.LGBM_BoosterCreate(train.Handle, parameters, out BoosterHandle handle));
        return new LightGbmBooster(handle);
    }

    /// <summary>Loads a model file (LightGBM text format).</summary>
    public static LightGbmBooster LoadFile(string path)
    {
        LightGbmApi.Check(LightGbmNative.LGBM_BoosterCreateFromModelfile(path, out _, out BoosterHandle handle));
        return new LightGbmBooster(handle);
    }

    /// <summary>Loads a model from its text.</summary>
    public static unsafe LightGbmBooster LoadText(string modelText)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(modelText + "\0");
        BoosterHandle handle;
        fixed (byte* p = bytes)
            LightGbmApi.Check(LightGbmNative.LGBM_BoosterLoadModelFromString(p, out _, out handle));
        return new LightGbmBooster(handle);
    }

    /// <summary>Adds a validation dataset (data index 1, 2, ... in <see cref="GetScores"/>).</summary>
    public void AddValidation(LightGbmDataset validation)
        => LightGbmApi.Check(LightGbmNative.LGBM_BoosterAddValidData(Handle, validation.Handle));

    /// <summary>One iteration with the booster's own objective; true when no further split was possible.</summary>
    public bool UpdateOneIteration()
    {
        LightGbmApi.Check(LightGbmNative.LGBM_BoosterUpdateOneIter(Handle, out int finished));
        return finished != 0;
    }

    /// <summary>One iteration from our gradients and hessians (one per training row); true when no tree was added
    /// because no split was possible.</summary>
    public unsafe bool UpdateOneIteration(ReadOnlySpan<float> gradients, ReadOnlySpan<float> hessians)
    {
        int finished;
        fixed (float* g = gradients)
        fixed (float* h = hessians)
            LightGbmApi.Check(LightGbmNative.LGBM_BoosterUpdateOneIterCustom(Handle, g, h, out finished));
        return finished != 0;
    }

    /// <summary>Number of completed iterations (= trees, one per iteration).</summary>
    public int CurrentIteration
    {
        get
        {
            LightGbmApi.Check(LightGbmNative.LGBM_BoosterGetCurrentIteration(Handle, out int it));
            return it;
        }
    }

    /// <summary>LightGBM's current raw scores of dataset <paramref name="dataIndex"/> (0 = training, 1.. = validation
    /// sets in the order added). Not updated by <see cref="SetLeafValue"/>.</summary>
    public unsafe void GetScores(int dataIndex, Span<double> scores)
    {
        LightGbmApi.Check(LightGbmNative.LGBM_BoosterGetNumPredict(Handle, dataIndex, out long length));
        if (length != scores.Length)
            throw new ArgumentException($"Dataset {dataIndex} has {length} scores; the buffer holds {scores.Length}.", nameof(scores));
        fixed (double* p = scores)
            LightGbmApi.Check(LightGbmNative.LGBM_BoosterGetPredict(Handle, dataIndex, out _, p));
    }

    /// <summary>Value of a leaf, learning rate applied.</summary>
    public double GetLeafValue(int tree, int leaf)
    {
        LightGbmApi.Check(LightGbmNative.LGBM_BoosterGetLeafValue(Handle, tree, leaf, out double value));
        return value;
    }

    /// <summary>Replaces a leaf's value (used by prediction and the saved model, not by the stored training scores).</summary>
    public void SetLeafValue(int tree, int leaf, double value)
        => LightGbmApi.Check(LightGbmNative.LGBM_BoosterSetLeafValue(Handle, tree, leaf, value));

    /// <summary>The model text of iterations [start, start + count) (count -1 = to the end).</summary>
    public unsafe string SaveModelToString(int startIteration = 0, int iterationCount = -1, int importanceType = LightGbmNative.ImportanceSplit)
    {
        LightGbmApi.Check(LightGbmNative.LGBM_BoosterSaveModelToString(Handle, startIteration, iterationCount, importanceType, 0, out long needed, null));
        var buffer = new byte[needed];
        fixed (byte* p = buffer)
            LightGbmApi.Check(LightGbmNative.LGBM_BoosterSaveModelToString(Handle, startIteration, iterationCount, importanceType, needed, out _, p));
        int length = Array.IndexOf(buffer, (byte)0);
        return Encoding.UTF8.GetString(buffer, 0, length < 0 ? buffer.Length : length);
    }

    /// <summary>Feature importance over all trees (<see cref="LightGbmNative.ImportanceSplit"/> or <c>ImportanceGain</c>).</summary>
    public unsafe double[] FeatureImportance(int featureCount, int importanceType)
    {
        LightGbmApi.Check(LightGbmNative.LGBM_BoosterGetNumFeature(Handle, out int n));
        Guard.Argument(n == featureCount, nameof(featureCount), $"The booster has {n} features, not {featureCount}.");
        var result = new double[n];
        fixed (double* p = result)
            LightGbmApi.Check(LightGbmNative.LGBM_BoosterFeatureImportance(Handle, -1, importanceType, p));
        return result;
    }

    /// <summary>LightGBM's prediction for a row-major float matrix.</summary>
    public unsafe double[] PredictDense(ReadOnlySpan<float> rowMajor, int rows, int columns, int predictType = LightGbmNative.PredictRawScore,
        int startIteration = 0, int iterationCount = -1, string parameters = "")
    {
        LightGbmApi.Check(LightGbmNative.LGBM_BoosterCalcNumPredict(Handle, rows, predictType, startIteration, iterationCount, out long length));
        var result = new double[length];
        fixed (float* x = rowMajor)
        fixed (double* r = result)
        {
            LightGbmApi.Check(LightGbmNative.LGBM_BoosterPredictForMat(Handle, x, LightGbmNative.DTypeFloat32, rows, columns, 1, predictType,
                startIteration, iterationCount, parameters, out _, r));
        }
        return result;
    }

    /// <summary>LightGBM's prediction for a CSR float matrix.</summary>
    public unsafe double[] PredictCsr(ReadOnlySpan<int> rowOffsets, ReadOnlySpan<int> indices, ReadOnlySpan<float> values, int columns,
        int predictType = LightGbmNative.PredictRawScore, string parameters = "")
    {
        int rows = rowOffsets.Length - 1;
        LightGbmApi.Check(LightGbmNative.LGBM_BoosterCalcNumPredict(Handle, rows, predictType, 0, -1, out long length));
        var result = new double[length];
        fixed (int* o = rowOffsets)
        fixed (int* ix = indices)
        fixed (float* v = values)
        fixed (double* r = result)
        {
            LightGbmApi.Check(LightGbmNative.LGBM_BoosterPredictForCSR(Handle, o, LightGbmNative.DTypeInt32, ix, v, LightGbmNative.DTypeFloat32,
                rowOffsets.Length, values.Length, columns, predictType, 0, -1, parameters, out _, r));
        }
        return result;
    }

    /// <inheritdoc/>
    public void Dispose() => Handle.Dispose();
}
