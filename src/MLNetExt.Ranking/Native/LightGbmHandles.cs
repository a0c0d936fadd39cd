using Microsoft.Win32.SafeHandles;

namespace MLNetExt.Ranking.Native;

/// <summary>A LightGBM <c>DatasetHandle</c>; released with <c>LGBM_DatasetFree</c>.</summary>
internal sealed class DatasetHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    /// <summary>Used by the interop marshaller.</summary>
    public DatasetHandle() : base(ownsHandle: true)
    {
    }

    /// <inheritdoc/>
    protected override bool ReleaseHandle() => LightGbmNative.LGBM_DatasetFree(handle) == 0;
}

/// <summary>A LightGBM <c>BoosterHandle</c>; released with <c>LGBM_BoosterFree</c>.</summary>
internal sealed class BoosterHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    /// <summary>Used by the interop marshaller.</summary>
    public BoosterHandle() : base(ownsHandle: true)
    {
    }

    /// <inheritdoc/>
    protected override bool ReleaseHandle() => LightGbmNative.LGBM_BoosterFree(handle) == 0;
}
