using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MLNetExt.Ranking.Native;

/// <summary>
/// Loads <c>lib_lightgbm</c> for this assembly and sets the OpenMP wait policy before the OpenMP runtime starts.
/// </summary>
/// <remarks>
/// <para>LightGBM parallelises with OpenMP. GNU libgomp's idle threads spin ("busy-wait") for a while after each
/// parallel region; while our C# objective computes gradients between two LightGBM calls, those spinning threads
/// take the cores the objective needs (measured in the spike: gradient 65 ms -> 43 ms per iteration with
/// <c>OMP_WAIT_POLICY=passive</c>; two 2-thread processes on 2 cores 13.1 s -> 0.3 s for 20 iterations).</para>
/// <para>libgomp reads <c>OMP_WAIT_POLICY</c> from the process environment once, when it is loaded as a dependency of
/// <c>lib_lightgbm</c>. .NET's <see cref="Environment.SetEnvironmentVariable(string, string)"/> does not change the
/// C runtime's environment on Unix, so this class calls the C library's <c>setenv</c> from a
/// <see cref="NativeLibrary.SetDllImportResolver"/> hook, which runs right before the first P/Invoke of this assembly
/// loads <c>lib_lightgbm</c>. A value the user already set is left alone. If another component (for example
/// <c>Microsoft.ML.LightGbm</c>) loaded the OpenMP runtime earlier in the process, the policy cannot be changed any
/// more; <see cref="WaitPolicy"/> then says so.</para>
/// </remarks>
internal static class LightGbmRuntime
{
    private const string WaitPolicyVariable = "OMP_WAIT_POLICY";
    private static int s_resolved;

    /// <summary>What happened to the OpenMP wait policy when the library was loaded (for logs and tests).</summary>
    public static string WaitPolicy { get; private set; } = "not loaded yet";

    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "The resolver must be in place before the first P/Invoke of this assembly.")]
    internal static void RegisterResolver()
        => NativeLibrary.SetDllImportResolver(typeof(LightGbmRuntime).Assembly, Resolve);

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (libraryName != LightGbmNative.Library)
            return IntPtr.Zero;
        if (Interlocked.Exchange(ref s_resolved, 1) == 0)
            WaitPolicy = ApplyPassiveWaitPolicy();
        // Zero: continue with the runtime's default probing (the package's runtimes/<rid>/native folder).
        return NativeLibrary.TryLoad(libraryName, assembly, searchPath, out IntPtr handle) ? handle : IntPtr.Zero;
    }

    /// <summary>Makes sure the library is loaded (and the wait policy decided) now rather than at the first call.</summary>
    public static void EnsureLoaded() => LightGbmNative.LGBM_GetLastError();

    private static string ApplyPassiveWaitPolicy()
    {
        string? existing = Environment.GetEnvironmentVariable(WaitPolicyVariable);
        if (!string.IsNullOrEmpty(existing))
            return $"{existing} (set by the user's environment; left unchanged)";
        if (OpenMpAlreadyLoaded())
            return "unchanged: the OpenMP runtime was already loaded by another component, so OMP_WAIT_POLICY=passive could not be applied";
        Environment.SetEnvironmentVariable(WaitPolicyVariable, "passive");
        if (!OperatingSystem.IsWindows() && !SetNativeEnvironment(WaitPolicyVariable, "passive"))
            return "unchanged: the C library's setenv could not be found";
        return "passive (set by MLNetExt before loading lib_lightgbm)";
    }

    private static bool OpenMpAlreadyLoaded()
    {
        if (!OperatingSystem.IsLinux())
            return false;
        try
        {
            foreach (string line in File.ReadLines("/proc/self/maps"))
            {
                if (line.Contains("libgomp", StringComparison.Ordinal) || line.Contains("libomp", StringComparison.Ordinal))
                    return true;
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return false;
    }

    private static unsafe bool SetNativeEnvironment(string name, string value)
    {
        string[] candidates = OperatingSystem.IsMacOS() ? ["/usr/lib/libSystem.B.dylib", "libc.dylib"] : ["libc.so.6", "libc.so"];
        foreach (string candidate in candidates)
        {
            if (!NativeLibrary.TryLoad(candidate, out IntPtr libc))
                continue;
            if (!NativeLibrary.TryGetExport(libc, "setenv", out IntPtr setenv))
                continue;
            var fn = (delegate* unmanaged[Cdecl]<byte*, byte*, int, int>)setenv;
            byte[] n = System.Text.Encoding.UTF8.GetBytes(name + "\0");
            byte[] v = System.Text.Encoding.UTF8.GetBytes(value + "\0");
            fixed (byte* pn = n)
            fixed (byte* pv = v)
                return fn(pn, pv, 0) == 0;
        }
        return false;
    }
}
