using System.Runtime.InteropServices;

namespace MLNetExt.Ranking.Native;

/// <summary>
/// P/Invoke declarations of the documented LightGBM C API (<c>include/LightGBM/c_api.h</c>, LightGBM 4.6.0, the
/// version the <c>LightGBM</c> NuGet package ships and <c>Microsoft.ML.LightGbm</c> 5.0.1 depends on). Only entry
/// points declared in that header are used, and only from this folder; every call goes through
/// <see cref="LightGbmApi"/>, which turns a non-zero return into a <see cref="LightGbmException"/>.
/// </summary>
/// <remarks>
/// A test lists every <c>LGBM_*</c> entry point declared here (by reflection) and checks that the shipped
/// <c>lib_lightgbm</c> exports it. Array arguments are raw pointers: callers pin managed memory for the call only.
/// </remarks>
internal static unsafe partial class LightGbmNative
{
    /// <summary>The native library's name; the <c>LightGBM</c> package puts it under <c>runtimes/&lt;rid&gt;/native</c>.</summary>
    public const string Library = "lib_lightgbm";

    /// <summary><c>C_API_DTYPE_FLOAT32</c>.</summary>
    public const int DTypeFloat32 = 0;
    /// <summary><c>C_API_DTYPE_FLOAT64</c>.</summary>
    public const int DTypeFloat64 = 1;
    /// <summary><c>C_API_DTYPE_INT32</c>.</summary>
    public const int DTypeInt32 = 2;
    /// <summary><c>C_API_PREDICT_RAW_SCORE</c>.</summary>
    public const int PredictRawScore = 1;
    /// <summary><c>C_API_PREDICT_LEAF_INDEX</c>.</summary>
    public const int PredictLeafIndex = 2;
    /// <summary><c>C_API_FEATURE_IMPORTANCE_SPLIT</c>.</summary>
    public const int ImportanceSplit = 0;
    /// <summary><c>C_API_FEATURE_IMPORTANCE_GAIN</c>.</summary>
    public const int ImportanceGain = 1;

    [LibraryImport(Library)]
    internal static partial IntPtr LGBM_GetLastError();

    [LibraryImport(Library)]
    internal static partial int LGBM_RegisterLogCallback(delegate* unmanaged[Cdecl]<byte*, void> callback);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int LGBM_GetSampleCount(int numTotalRow, string parameters, out int count);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int LGBM_SampleIndices(int numTotalRow, string parameters, int* output, out int outLength);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int LGBM_DatasetCreateFromSampledColumn(double** sampleData, int** sampleIndices, int numColumns,
        int* numPerColumn, int numSampleRow, int numLocalRow, long numDistributedRow, string parameters, out DatasetHandle dataset);

    [LibraryImport(Library)]
    internal static partial int LGBM_DatasetCreateByReference(DatasetHandle reference, long numTotalRow, out DatasetHandle dataset);

    [LibraryImport(Library)]
    internal static partial int LGBM_DatasetPushRows(DatasetHandle dataset, void* data, int dataType, int numRow, int numColumn,
        int startRow);

    [LibraryImport(Library)]
    internal static partial int LGBM_DatasetPushRowsByCSR(DatasetHandle dataset, void* indptr, int indptrType, int* indices,
        void* data, int dataType, long numIndptr, long numElements, long numColumn, long startRow);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int LGBM_DatasetCreateFromMat(void* data, int dataType, int numRow, int numColumn, int isRowMajor,
        string parameters, IntPtr reference, out DatasetHandle dataset);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int LGBM_DatasetCreateFromCSR(void* indptr, int indptrType, int* indices, void* data, int dataType,
        long numIndptr, long numElements, long numColumn, string parameters, IntPtr reference, out DatasetHandle dataset);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int LGBM_DatasetSetField(DatasetHandle dataset, string fieldName, void* fieldData, int numElement,
        int type);

    [LibraryImport(Library)]
    internal static partial int LGBM_DatasetGetFeatureNumBin(DatasetHandle dataset, int feature, out int count);

    [LibraryImport(Library)]
    internal static partial int LGBM_DatasetFree(IntPtr dataset);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int LGBM_BoosterCreate(DatasetHandle trainData, string parameters, out BoosterHandle booster);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int LGBM_BoosterCreateFromModelfile(string fileName, out int numIterations, out BoosterHandle booster);

    [LibraryImport(Library)]
    internal static partial int LGBM_BoosterLoadModelFromString(byte* modelText, out int numIterations, out BoosterHandle booster);

    [LibraryImport(Library)]
    internal static partial int LGBM_BoosterFree(IntPtr booster);

    [LibraryImport(Library)]
    internal static partial int LGBM_BoosterAddValidData(BoosterHandle booster, DatasetHandle validData);

    [LibraryImport(Library)]
    internal static partial int LGBM_BoosterUpdateOneIter(BoosterHandle booster, out int isFinished);

    [LibraryImport(Library)]
    internal static partial int LGBM_BoosterUpdateOneIterCustom(BoosterHandle booster, float* gradients, float* hessians,
        out int isFinished);

    [LibraryImport(Library)]
    internal static partial int LGBM_BoosterGetCurrentIteration(BoosterHandle booster, out int iteration);

    [LibraryImport(Library)]
    internal static partial int LGBM_BoosterGetNumPredict(BoosterHandle booster, int dataIndex, out long length);

    [LibraryImport(Library)]
    internal static partial int LGBM_BoosterGetPredict(BoosterHandle booster, int dataIndex, out long length, double* result);

    [LibraryImport(Library)]
    internal static partial int LGBM_BoosterGetLeafValue(BoosterHandle booster, int treeIndex, int leafIndex, out double value);

    [LibraryImport(Library)]
    internal static partial int LGBM_BoosterSetLeafValue(BoosterHandle booster, int treeIndex, int leafIndex, double value);

    [LibraryImport(Library)]
    internal static partial int LGBM_BoosterSaveModelToString(BoosterHandle booster, int startIteration, int numIteration,
        int featureImportanceType, long bufferLength, out long outLength, byte* outText);

    [LibraryImport(Library)]
    internal static partial int LGBM_BoosterFeatureImportance(BoosterHandle booster, int numIteration, int importanceType,
        double* results);

    [LibraryImport(Library)]
    internal static partial int LGBM_BoosterGetNumFeature(BoosterHandle booster, out int count);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int LGBM_BoosterCalcNumPredict(BoosterHandle booster, int numRow, int predictType, int startIteration,
        int numIteration, out long length);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int LGBM_BoosterPredictForMat(BoosterHandle booster, void* data, int dataType, int numRow,
        int numColumn, int isRowMajor, int predictType, int startIteration, int numIteration, string parameters,
        out long outLength, double* result);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int LGBM_BoosterPredictForCSR(BoosterHandle booster, void* indptr, int indptrType, int* indices,
        void* data, int dataType, long numIndptr, long numElements, long numColumn, int predictType, int startIteration,
        int numIteration, string parameters, out long outLength, double* result);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int LGBM_NetworkInit(string machines, int localListenPort, int listenTimeOutMinutes, int numMachines);

    [LibraryImport(Library)]
    internal static partial int LGBM_NetworkFree();
}
