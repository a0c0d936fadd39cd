using System.Globalization;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetExt.Tests.Data;

/// <summary>Temporary LibSVM files, an independent parser (the oracle), and a reader of every column of a view.</summary>
internal sealed class LibSvmTempFiles : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("mlnetext-libsvm-").FullName;

    /// <summary>Writes <paramref name="text"/> as UTF-8 without a byte-order mark, exactly as given (no newline conversion).</summary>
    public string Write(string name, string text)
    {
        string path = Path.Combine(_directory, name);
        File.WriteAllBytes(path, Encoding.UTF8.GetBytes(text));
        return path;
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}

/// <summary>Everything a view holds, read through one cursor with every column active; features densified.</summary>
internal sealed record LibSvmRows(float[] Labels, uint[]? Groups, float[]? Weights, float[][] Features, int[][] StoredSlots)
{
    public static LibSvmRows Read(IDataView view, string label = "Label", string group = "GroupId", string weight = "Weight",
        string features = "Features")
    {
        var labels = new List<float>();
        var groups = new List<uint>();
        var weights = new List<float>();
        var dense = new List<float[]>();
        var slots = new List<int[]>();
        var groupColumn = view.Schema.GetColumnOrNull(group);
        var weightColumn = view.Schema.GetColumnOrNull(weight);
        using var cursor = view.GetRowCursor(view.Schema);
        var getLabel = cursor.GetGetter<float>(view.Schema[label]);
        var getFeatures = cursor.GetGetter<VBuffer<float>>(view.Schema[features]);
        var getGroup = groupColumn is { } g ? cursor.GetGetter<uint>(g) : null;
        var getWeight = weightColumn is { } w ? cursor.GetGetter<float>(w) : null;
        float l = 0, wt = 0;
        uint k = 0;
        var buffer = default(VBuffer<float>);
        while (cursor.MoveNext())
        {
            getLabel(ref l);
            labels.Add(l);
            getFeatures(ref buffer);
            dense.Add(buffer.DenseValues().ToArray());
            slots.Add(buffer.IsDense ? Enumerable.Range(0, buffer.Length).ToArray() : buffer.GetIndices().ToArray());
            if (getGroup is not null)
            {
                getGroup(ref k);
                groups.Add(k);
            }
            if (getWeight is not null)
            {
                getWeight(ref wt);
                weights.Add(wt);
            }
        }
        return new LibSvmRows(labels.ToArray(), getGroup is null ? null : groups.ToArray(), getWeight is null ? null : weights.ToArray(),
            dense.ToArray(), slots.ToArray());
    }

    /// <summary>Sizes of the runs of equal group keys, in order.</summary>
    public int[] GroupSizes()
    {
        var sizes = new List<int>();
        for (int i = 0; i < Groups!.Length; i++)
        {
            if (i == 0 || Groups[i] != Groups[i - 1])
                sizes.Add(0);
            sizes[^1]++;
        }
        return sizes.ToArray();
    }
}

/// <summary>
/// The oracle: an independent reading of a LibSVM file with string.Split and float.Parse, written for the tests only
/// (no shared code with the loader). Indices are returned as written.
/// </summary>
internal static class LibSvmOracle
{
    public static (float[] Labels, (int Index, float Value)[][] Features) Parse(string path)
    {
        var labels = new List<float>();
        var features = new List<(int, float)[]>();
        foreach (string raw in File.ReadAllLines(path))
        {
            string line = raw.Split('#')[0];
            string[] tokens = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (tokens.Length == 0)
                continue;
            labels.Add(float.Parse(tokens[0], CultureInfo.InvariantCulture));
            features.Add(tokens.Skip(1).Where(t => !t.StartsWith("qid:", StringComparison.Ordinal))
                .Select(t => t.Split(':'))
                .Select(p => (int.Parse(p[0], CultureInfo.InvariantCulture), float.Parse(p[1], CultureInfo.InvariantCulture)))
                .ToArray());
        }
        return (labels.ToArray(), features.ToArray());
    }

    public static int[] QuerySizes(string path)
        => File.ReadAllLines(path).Where(l => l.Trim().Length > 0).Select(l => int.Parse(l, CultureInfo.InvariantCulture)).ToArray();
}
