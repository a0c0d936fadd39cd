using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNetExt.Numerics;

namespace MLNetExt.Tests.Numerics;

/// <summary>Seeds resolved at estimator construction: the option wins, else the MLContext's generator decides.</summary>
[TestClass]
public sealed class SeedResolverTests
{
    [TestMethod]
    public void ContextSeed_GivesTheSeedsMLNetDerives()
    {
        // ML.NET's derivation re-implemented in Python from dotnet/machinelearning (commit cd2fbd6): the context's
        // TauswortheHybrid with state (1, Murmur rounds of 1), a registered host seeded by eight Next(65536) draws
        // from it, then the host's Next(); three estimators in a row give these (SeedResolver's remarks).
        IHostEnvironment env = new MLContext(seed: 1);
        int[] resolved = [.. Enumerable.Range(0, 3).Select(_ => SeedResolver.Resolve(env, null, "Test"))];
        CollectionAssert.AreEqual(new[] { 1752537088, 798840056, 1660218241 }, resolved);
    }

    [TestMethod]
    public void SameContextSeed_GivesTheSameSeeds_InTheSameOrder()
    {
        int[] First(int? seed) => Resolve(new MLContext(seed), 5);
        CollectionAssert.AreEqual(First(7), First(7));
        CollectionAssert.AreNotEqual(First(7), First(8));
        var seeds = First(7);
        Assert.AreEqual(seeds.Length, seeds.Distinct().Count(), "successive estimators get different seeds");
    }

    [TestMethod]
    public void ContextWithoutSeed_GivesVaryingSeeds()
    {
        // Each new MLContext() seeds itself from System.Random: two runs agree on 5 seeds with probability 2^-155.
        CollectionAssert.AreNotEqual(Resolve(new MLContext(), 5), Resolve(new MLContext(), 5));
    }

    [TestMethod]
    public void ExplicitSeed_Wins_AndDoesNotShiftTheSeedsOfLaterEstimators()
    {
        IHostEnvironment withOption = new MLContext(seed: 3);
        IHostEnvironment withoutOption = new MLContext(seed: 3);
        Assert.AreEqual(42, SeedResolver.Resolve(withOption, 42, "First"));
        Assert.AreNotEqual(42, SeedResolver.Resolve(withoutOption, null, "First"));
        Assert.AreEqual(SeedResolver.Resolve(withoutOption, null, "Second"), SeedResolver.Resolve(withOption, null, "Second"));
    }

    [TestMethod]
    public void CatalogEnvironment_IsTheContextItself()
    {
        // Estimators resolve through the catalog's environment (MLNetBridge.GetEnvironment), which is the context's.
        var a = new MLContext(seed: 11);
        var b = new MLContext(seed: 11);
        int viaCatalog = SeedResolver.Resolve(MLNetExt.Interop.MLNetBridge.GetEnvironment(a.BinaryClassification), null, "Test");
        Assert.AreEqual(SeedResolver.Resolve(b, null, "Test"), viaCatalog);
    }

    private static int[] Resolve(IHostEnvironment env, int count)
        => [.. Enumerable.Range(0, count).Select(i => SeedResolver.Resolve(env, null, $"Estimator{i}"))];
}
