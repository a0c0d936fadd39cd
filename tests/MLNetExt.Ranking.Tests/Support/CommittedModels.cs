using System.Globalization;
using Microsoft.ML;
using MLNetExt.Data;
using MLNetExt.Tests.Support;

namespace MLNetExt.Ranking.Tests.Support;

/// <summary>
/// Model files committed under tests/MLNetExt.Ranking.Tests/Models, one per format version of the saved model, with
/// the outputs they gave when written (<c>name.expected.txt</c>, one line per row and column). Every build must load
/// them and reproduce those outputs bit for bit; they are never rewritten (a new format version adds a file). When a
/// file is missing, it is written from <c>make</c> and the test is inconclusive until the file is committed.
/// </summary>
internal static class CommittedModels
{
    public static void AssertReproduces(string name, Func<MLContext, ITransformer> make, params string[] columns)
    {
        var ml = new MLContext(seed: 1);
        string path = Path.Combine(AppContext.BaseDirectory, "Models", name + ".zip");
        if (!File.Exists(path))
        {
            Write(ml, name, make(ml), columns);
            Assert.Inconclusive($"The committed model file {name}.zip was missing and has been written; commit it.");
        }
        var loaded = ml.Model.Load(path, out _);
        var actual = Lines(Outputs(ml, loaded, columns));
        var expected = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Models", name + ".expected.txt"));
        CollectionAssert.AreEqual(expected, actual, name);
    }

    /// <summary>The first 50 rows of rank.test, the input every committed ranking model is checked on.</summary>
    private static IDataView Input(MLContext ml) => ml.Data.TakeRows(ml.Data.LoadFromLibSvm(TestData.Path("ltr/rank.test")), 50);

    private static List<double[][]> Outputs(MLContext ml, ITransformer model, string[] columns)
        => Conformance.Outputs(model.Transform(Input(ml)), columns);

    private static string[] Lines(List<double[][]> rows)
        => rows.Select(r => string.Join(" ", r.SelectMany(c => c).Select(v => ((float)v).ToString("R", CultureInfo.InvariantCulture)))).ToArray();

    private static void Write(MLContext ml, string name, ITransformer model, string[] columns)
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(directory!.FullName, "MLNetExt.sln")))
            directory = directory.Parent;
        string folder = Path.Combine(directory.FullName, "tests", "MLNetExt.Ranking.Tests", "Models");
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, name + ".zip");
        ml.Model.Save(model, Input(ml).Schema, path);
        File.WriteAllLines(Path.Combine(folder, name + ".expected.txt"), Lines(Outputs(ml, ml.Model.Load(path, out _), columns)));
    }
}
