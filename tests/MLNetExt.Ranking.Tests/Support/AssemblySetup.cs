using MLNetExt.Ranking.Native;

namespace MLNetExt.Ranking.Tests.Support;

[TestClass]
public static class AssemblySetup
{
    /// <summary>Loads lib_lightgbm through the package's resolver before any test can load it another way (a direct
    /// NativeLibrary.Load would bypass the resolver and so the OpenMP wait policy).</summary>
    [AssemblyInitialize]
    public static void LoadLightGbm(TestContext _) => LightGbmRuntime.EnsureLoaded();
}
