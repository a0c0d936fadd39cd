using Microsoft.ML;
using MLNetExt.Data;
using MLNetExt.Tests.Support;

namespace MLNetExt.TorchSharp.Tests.Ranking;

/// <summary>LightGBM's lambdarank sample (data/ltr): 201 training and 50 test queries, 300 features, grades 0-4.</summary>
internal static class LtrData
{
    public static (IDataView Train, IDataView Test) Load(MLContext mlContext)
    {
        var views = mlContext.Data.LoadFromLibSvm([TestData.Path("ltr/rank.train"), TestData.Path("ltr/rank.test")]);
        // Cached: the trainer and the evaluators read the files several times.
        return (mlContext.Data.Cache(views[0]), mlContext.Data.Cache(views[1]));
    }
}
