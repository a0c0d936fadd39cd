using MLNetExt.Tests.Support;

namespace MLNetExt.RiskScores.Tests;

/// <summary>What every MLNetExt package must hold to: no ML.NET internal outside the core's bridge.</summary>
[TestClass]
public sealed class PackageContractTests
{
    [TestMethod]
    public void Package_UsesNoMLNetInternals()
        => MLNetInternals.AssertNone(typeof(RiskScoreModelParameters).Assembly.Location);
}
