using System.Reflection;
using System.Runtime.InteropServices;
using MLNetExt.Ranking.Engine;
using MLNetExt.Ranking.Native;
using MLNetExt.Ranking.Tests.Support;

namespace MLNetExt.Ranking.Tests.Native;

[TestClass]
public sealed class NativeContractTests
{
    private static IReadOnlyList<string> EntryPoints() => typeof(LightGbmNative)
        .GetMethods(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.DeclaredOnly)
        .Select(m => (Method: m, Import: m.GetCustomAttribute<LibraryImportAttribute>()))
        .Where(x => x.Import is not null)
        .Select(x => x.Import!.EntryPoint ?? x.Method.Name)
        .Distinct()
        .OrderBy(n => n, StringComparer.Ordinal)
        .ToList();

    [TestMethod]
    public void EveryDeclaredEntryPoint_IsExportedByTheShippedLibrary()
    {
        var names = EntryPoints();
        Assert.IsTrue(names.Count >= 30, $"only {names.Count} entry points found by reflection");
        Assert.IsTrue(names.All(n => n.StartsWith("LGBM_", StringComparison.Ordinal)), string.Join(", ", names));
        IntPtr library = NativeLibrary.Load(LightGbmNative.Library, typeof(LightGbmNative).Assembly, null);
        var missing = names.Where(n => !NativeLibrary.TryGetExport(library, n, out _)).ToList();
        Assert.AreEqual(0, missing.Count, "not exported: " + string.Join(", ", missing));
        foreach (string n in new[] { "LGBM_BoosterUpdateOneIterCustom", "LGBM_BoosterSetLeafValue", "LGBM_DatasetCreateFromSampledColumn",
                     "LGBM_DatasetPushRowsByCSR", "LGBM_NetworkInit", "LGBM_NetworkFree", "LGBM_RegisterLogCallback" })
            CollectionAssert.Contains(names.ToList(), n);
    }

    [TestMethod]
    public void NonZeroReturn_BecomesExceptionWithLightGbmsMessage()
    {
        var data = Synthetic.Make(10, 3, 5, 5, seed: 2);
        var settings = new BoosterSettings { NumberOfThreads = 1, Verbosity = -1 };
        using var dataset = LightGbmDataset.Create(data.DenseSource(), data.Groups(), settings.DatasetParameters());
        // A booster with a built-in objective refuses custom gradients.
        using var booster = LightGbmBooster.Create(dataset, settings.BoosterParameters("lambdarank"));
        var g = new float[data.RowCount];
        var e = Assert.ThrowsExactly<LightGbmException>(() => booster.UpdateOneIteration(g, g));
        Assert.AreEqual("LGBM_BoosterUpdateOneIterCustom", e.EntryPoint);
        Assert.IsTrue(e.NativeMessage.Length > 0 && e.Message.Contains(e.NativeMessage, StringComparison.Ordinal), e.Message);

        var bad = Assert.ThrowsExactly<LightGbmException>(() => LightGbmBooster.Create(dataset, settings.BoosterParameters("none") + " tree_learner=no_such_learner"));
        Assert.AreEqual("LGBM_BoosterCreate", bad.EntryPoint);
        StringAssert.Contains(bad.NativeMessage, "no_such_learner");
    }

    [TestMethod]
    public void OpenMpWaitPolicy_IsPassiveOrLeftToTheUser()
    {
        LightGbmRuntime.EnsureLoaded();
        string policy = LightGbmRuntime.WaitPolicy;
        Assert.IsTrue(policy.StartsWith("passive", StringComparison.Ordinal) || policy.Contains("set by the user", StringComparison.Ordinal), policy);
        if (policy.StartsWith("passive", StringComparison.Ordinal))
            Assert.AreEqual("passive", Environment.GetEnvironmentVariable("OMP_WAIT_POLICY"));
    }

    [TestMethod]
    public void EntryPointName_IsTakenFromTheCallExpression()
    {
        Assert.AreEqual("LGBM_BoosterCreate", LightGbmApi.EntryPointOf("LightGbmNative.LGBM_BoosterCreate(train.Handle, p, out h)"));
    }
}
