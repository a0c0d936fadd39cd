using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MLNetExt.Ranking.Native;

/// <summary>Turns the C API's return codes into exceptions carrying <c>LGBM_GetLastError</c>.</summary>
internal static class LightGbmApi
{
    /// <summary>
    /// Throws <see cref="LightGbmException"/> when <paramref name="returnCode"/> is not 0. Use as
    /// <c>LightGbmApi.Check(LightGbmNative.LGBM_X(...))</c>: the entry point's name is taken from the call expression.
    /// </summary>
    public static void Check(int returnCode, [CallerArgumentExpression(nameof(returnCode))] string call = "")
    {
        if (returnCode != 0)
            throw new LightGbmException(EntryPointOf(call), LastError());
    }

    /// <summary>LightGBM's last error message on this thread.</summary>
    public static string LastError()
        => Marshal.PtrToStringUTF8(LightGbmNative.LGBM_GetLastError()) ?? "(no message)";

    internal static string EntryPointOf(string call)
    {
        int start = call.IndexOf("LGBM_", StringComparison.Ordinal);
        if (start < 0)
            return call;
        int end = call.IndexOf('(', start);
        return end < 0 ? call[start..] : call[start..end];
    }
}
