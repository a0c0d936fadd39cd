using Microsoft.ML;
using MLNetExt.Data;
using MLNetExt.Ranking.Model;
using MLNetExt.Tests.Support;

namespace MLNetExt.Ranking.Tests;

/// <summary>What every MLNetExt package holds to: each persistent type round-trips, and no ML.NET internal is used.</summary>
[TestClass]
public sealed class PackageContractTests
{
    private static IDataView Sample(MLContext ml) => ml.Data.TakeRows(ml.Data.LoadFromLibSvm(TestData.Path("ltr/rank.train")), 300);

    private static BoostedRankingModelParameters Model(MLContext ml)
        => ml.Ranking.Trainers.LambdaMart(new LambdaMartRankingTrainer.Options { NumberOfTrees = 3, NumberOfThreads = 1 }).Fit(Sample(ml)).Model;

    [TestMethod]
    public void EveryPersistentType_HasAnExample_AndRoundTrips()
        => PersistenceCatalog.Check([typeof(BoostedRankingModelParameters).Assembly], new Dictionary<Type, Func<MLContext, IEnumerable<object>>>
        {
            [typeof(BoostedRankingModelParameters)] = ml =>
            [
                Model(ml),
                ml.Ranking.Trainers.RegressionCompatibleRanking(new RegressionCompatibleRankingTrainer.Options { NumberOfTrees = 3 }).Fit(Sample(ml)).Model,
            ],
            [typeof(TreeEnsemble)] = ml => [Model(ml).Trees],
        });

    [TestMethod]
    public void Package_UsesNoMLNetInternals()
        => MLNetInternals.AssertNone(typeof(BoostedRankingModelParameters).Assembly.Location);
}
