using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetExt.Tests.Support;

/// <summary>The repository's bundled data (data/, copied next to the test binaries).</summary>
public static class TestData
{
    public static string Path(string relative)
    {
        string path = System.IO.Path.Combine(AppContext.BaseDirectory, "data", relative);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Bundled data file '{relative}' is missing from the test output.", path);
        return path;
    }

    public const string WideResNet = "calibration/wideresnet-16-4-cifar-10.csv";
    public const string LeNet = "calibration/lenet-5-cifar-10.csv";

    /// <summary>
    /// A CIFAR-10 softmax file as (Label, Score): Label as Single class indices 0-9, or as a key type with 10 values
    /// (the text loader maps text "k" to key value k + 1, that is class k), Score as Vector&lt;Single, 10&gt;.
    /// </summary>
    public static IDataView LoadCifar(MLContext mlContext, string file, bool labelAsKey = false)
    {
        var label = labelAsKey
            ? new TextLoader.Column("Label", DataKind.UInt32, 0) { KeyCount = new KeyCount(10) }
            : new TextLoader.Column("Label", DataKind.Single, 0);
        var loader = mlContext.Data.CreateTextLoader(
            [label, new TextLoader.Column("Score", DataKind.Single, 1, 10)],
            separatorChar: ',', hasHeader: true);
        return loader.Load(Path(file));
    }

    /// <summary>The same file read into arrays without ML.NET: labels and row-major probabilities.</summary>
    public static (int[] Labels, float[] Probabilities) ReadCifar(string file)
    {
        var labels = new List<int>();
        var probabilities = new List<float>();
        foreach (string line in File.ReadLines(Path(file)).Skip(1))
        {
            var parts = line.Split(',');
            labels.Add(int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture));
            for (int k = 1; k <= 10; k++)
                probabilities.Add(float.Parse(parts[k], System.Globalization.CultureInfo.InvariantCulture));
        }
        return (labels.ToArray(), probabilities.ToArray());
    }
}
