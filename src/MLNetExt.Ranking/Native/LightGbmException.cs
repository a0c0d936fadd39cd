namespace MLNetExt.Ranking.Native;

/// <summary>
/// A LightGBM C API call returned an error. The message is LightGBM's own (<c>LGBM_GetLastError</c>), prefixed with
/// the entry point that failed.
/// </summary>
public sealed class LightGbmException : InvalidOperationException
{
    /// <summary>Creates the exception for <paramref name="entryPoint"/> with LightGBM's message.</summary>
    public LightGbmException(string entryPoint, string nativeMessage)
        : base($"LightGBM {entryPoint} failed: {nativeMessage}")
    {
        EntryPoint = entryPoint;
        NativeMessage = nativeMessage;
    }

    /// <summary>The C API function that returned a non-zero code (for example <c>LGBM_BoosterCreate</c>).</summary>
    public string EntryPoint { get; }

    /// <summary>LightGBM's message from <c>LGBM_GetLastError</c>.</summary>
    public string NativeMessage { get; }
}
