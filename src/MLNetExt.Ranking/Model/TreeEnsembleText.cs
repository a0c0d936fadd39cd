using System.Globalization;
using System.Text;

namespace MLNetExt.Ranking.Model;

/// <summary>Reading and writing LightGBM's model text format (<c>gbdt_model_text.cpp</c>, <c>tree.cpp</c>, 4.6.0).</summary>
internal sealed partial class TreeEnsemble
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>
    /// Parses the text of <c>LGBM_BoosterSaveModelToString</c> (or a LightGBM model file). Values written with full
    /// precision (thresholds, leaf values) are read back exactly.
    /// </summary>
    /// <param name="text">The model text.</param>
    /// <param name="featureNames">Names to use instead of the file's (one per feature), or null.</param>
    /// <exception cref="InvalidDataException">The text is not a single-output LightGBM tree model we can score.</exception>
    public static TreeEnsemble ParseLightGbmText(string text, IReadOnlyList<string>? featureNames = null)
    {
        Guard.NotNull(text, nameof(text));
        var lines = text.Split('\n');
        int i = 0;
        var header = new Dictionary<string, string>(StringComparer.Ordinal);
        for (; i < lines.Length; i++)
        {
            string line = lines[i].TrimEnd('\r');
            if (line.StartsWith("Tree=", StringComparison.Ordinal) || line == "end of trees")
                break;
            int eq = line.IndexOf('=');
            if (eq > 0)
                header[line[..eq]] = line[(eq + 1)..];
        }
        Require(header.TryGetValue("max_feature_idx", out string? maxFeature), "it has no max_feature_idx line");
        int featureCount = ParseInt(maxFeature!) + 1;
        if (header.TryGetValue("num_tree_per_iteration", out string? perIteration))
            Require(ParseInt(perIteration) == 1, $"it has {perIteration} trees per iteration; only single-output models are supported");
        if (header.TryGetValue("num_class", out string? classes))
            Require(ParseInt(classes) == 1, $"it has {classes} classes; only single-output models are supported");
        Require(!header.ContainsKey("average_output"), "it averages tree outputs (random forest), which is not supported");
        string[] names = header.TryGetValue("feature_names", out string? namesLine) ? namesLine.Split(' ') : [];
        Require(names.Length == featureCount, $"feature_names has {names.Length} entries for {featureCount} features");
        if (featureNames is not null)
        {
            Require(featureNames.Count == featureCount, $"{featureNames.Count} feature names were given for {featureCount} features");
            names = [.. featureNames];
        }
        string[] infos = header.TryGetValue("feature_infos", out string? infosLine) ? infosLine.Split(' ') : [];
        Require(infos.Length == featureCount, $"feature_infos has {infos.Length} entries for {featureCount} features");
        header.TryGetValue("objective", out string? objective);

        var nodeStart = new List<int> { 0 };
        var leafStart = new List<int> { 0 };
        var splitFeature = new List<int>();
        var threshold = new List<double>();
        var decisionType = new List<byte>();
        var left = new List<int>();
        var right = new List<int>();
        var splitGain = new List<float>();
        var internalValue = new List<double>();
        var internalWeight = new List<double>();
        var internalCount = new List<int>();
        var leafValue = new List<double>();
        var leafWeight = new List<double>();
        var leafCount = new List<int>();
        var shrinkage = new List<double>();

        while (i < lines.Length && lines[i].StartsWith("Tree=", StringComparison.Ordinal))
        {
            int tree = shrinkage.Count;
            i++;
            var keys = new Dictionary<string, string>(StringComparer.Ordinal);
            for (; i < lines.Length; i++)
            {
                string line = lines[i].TrimEnd('\r');
                if (line.Length == 0)
                    break;
                int eq = line.IndexOf('=');
                Require(eq > 0, $"tree {tree} has a line without '=': {Shorten(line)}");
                keys[line[..eq]] = line[(eq + 1)..];
            }
            while (i < lines.Length && lines[i].TrimEnd('\r').Length == 0)
                i++;
            Require(keys.TryGetValue("num_leaves", out string? leavesText), $"tree {tree} has no num_leaves");
            int leaves = ParseInt(leavesText!);
            Require(leaves >= 1, $"tree {tree} has {leaves} leaves");
            Require(!keys.TryGetValue("num_cat", out string? cats) || ParseInt(cats) == 0, $"tree {tree} has categorical splits, which are not supported");
            Require(!keys.TryGetValue("is_linear", out string? linear) || ParseInt(linear) == 0, $"tree {tree} is a linear tree, which is not supported");
            int splits = leaves - 1;
            leafValue.AddRange(Doubles(keys, "leaf_value", leaves, tree, required: true));
            leafWeight.AddRange(Doubles(keys, "leaf_weight", leaves, tree, required: false));
            leafCount.AddRange(Ints(keys, "leaf_count", leaves, tree, required: false));
            if (splits > 0)
            {
                splitFeature.AddRange(Ints(keys, "split_feature", splits, tree, required: true));
                threshold.AddRange(Doubles(keys, "threshold", splits, tree, required: true));
                foreach (int d in Ints(keys, "decision_type", splits, tree, required: false))
                    decisionType.Add(unchecked((byte)d));
                left.AddRange(Ints(keys, "left_child", splits, tree, required: true));
                right.AddRange(Ints(keys, "right_child", splits, tree, required: true));
                foreach (double g in Doubles(keys, "split_gain", splits, tree, required: false))
                    splitGain.Add((float)g);
                internalValue.AddRange(Doubles(keys, "internal_value", splits, tree, required: false));
                internalWeight.AddRange(Doubles(keys, "internal_weight", splits, tree, required: false));
                internalCount.AddRange(Ints(keys, "internal_count", splits, tree, required: false));
            }
            shrinkage.Add(keys.TryGetValue("shrinkage", out string? s) ? ParseDouble(s) : 1.0);
            nodeStart.Add(splitFeature.Count);
            leafStart.Add(leafValue.Count);
        }

        string parameters = "";
        int begin = Array.FindIndex(lines, i, l => l.TrimEnd('\r') == "parameters:");
        if (begin >= 0)
        {
            int end = Array.FindIndex(lines, begin, l => l.TrimEnd('\r') == "end of parameters");
            if (end > begin)
                parameters = string.Join("\n", lines[(begin + 1)..end].Select(l => l.TrimEnd('\r'))).TrimEnd('\n');
        }

        return new TreeEnsemble(featureCount, names, infos, objective, parameters, [.. nodeStart], [.. leafStart], [.. splitFeature],
            [.. threshold], [.. decisionType], [.. left], [.. right], [.. splitGain], [.. internalValue], [.. internalWeight],
            [.. internalCount], [.. leafValue], [.. leafWeight], [.. leafCount], [.. shrinkage]);
    }

    /// <summary>
    /// The model in LightGBM's text format, loadable by LightGBM's CLI, Python package and
    /// <c>LGBM_BoosterCreateFromModelfile</c>, which then predict the same raw scores. Feature names have white space
    /// replaced by '_' (LightGBM separates names with spaces).
    /// </summary>
    public string ToLightGbmText()
    {
        var sb = new StringBuilder();
        sb.Append("tree\nversion=v4\nnum_class=1\nnum_tree_per_iteration=1\nlabel_index=0\n");
        sb.Append("max_feature_idx=").Append(FeatureCount - 1).Append('\n');
        if (!string.IsNullOrEmpty(Objective))
            sb.Append("objective=").Append(Objective).Append('\n');
        string[] safeNames = FeatureNames.Select(SafeFeatureName).ToArray();
        sb.Append("feature_names=").AppendJoin(' ', safeNames).Append('\n');
        sb.Append("feature_infos=").AppendJoin(' ', FeatureInfos).Append('\n');

        var trees = new string[TreeCount];
        for (int t = 0; t < TreeCount; t++)
            trees[t] = TreeText(t);
        sb.Append("tree_sizes=").AppendJoin(' ', trees.Select(s => Encoding.UTF8.GetByteCount(s))).Append("\n\n");
        foreach (string tree in trees)
            sb.Append(tree);
        sb.Append("end of trees\n\nfeature_importances:\n");
        double[] splits = SplitImportance();
        foreach (int f in Enumerable.Range(0, FeatureCount).Where(f => (long)splits[f] > 0).OrderByDescending(f => (long)splits[f]))
            sb.Append(safeNames[f]).Append('=').Append((long)splits[f]).Append('\n');
        if (Parameters.Length > 0)
            sb.Append("\nparameters:\n").Append(Parameters).Append("\n\nend of parameters\n");
        sb.Append("\npandas_categorical:null\n");
        return sb.ToString();
    }

    /// <summary>Writes <see cref="ToLightGbmText"/> to <paramref name="path"/> (UTF-8, no byte-order mark).</summary>
    public void ExportLightGbmModel(string path)
    {
        Guard.NotNull(path, nameof(path));
        File.WriteAllText(path, ToLightGbmText(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
    }

    private string TreeText(int t)
    {
        int n0 = NodeStart[t], n1 = NodeStart[t + 1], l0 = LeafStart[t], l1 = LeafStart[t + 1];
        var sb = new StringBuilder();
        sb.Append("Tree=").Append(t).Append('\n');
        sb.Append("num_leaves=").Append(l1 - l0).Append('\n');
        sb.Append("num_cat=0\n");
        Line(sb, "split_feature", SplitFeature.AsSpan(n0, n1 - n0));
        Line(sb, "split_gain", SplitGain.AsSpan(n0, n1 - n0));
        Line(sb, "threshold", Threshold.AsSpan(n0, n1 - n0));
        sb.Append("decision_type=");
        for (int k = n0; k < n1; k++)
            sb.Append(k > n0 ? " " : "").Append(unchecked((sbyte)DecisionType[k]));
        sb.Append('\n');
        Line(sb, "left_child", LeftChild.AsSpan(n0, n1 - n0));
        Line(sb, "right_child", RightChild.AsSpan(n0, n1 - n0));
        Line(sb, "leaf_value", LeafValue.AsSpan(l0, l1 - l0));
        Line(sb, "leaf_weight", LeafWeight.AsSpan(l0, l1 - l0));
        Line(sb, "leaf_count", LeafCount.AsSpan(l0, l1 - l0));
        Line(sb, "internal_value", InternalValue.AsSpan(n0, n1 - n0));
        Line(sb, "internal_weight", InternalWeight.AsSpan(n0, n1 - n0));
        Line(sb, "internal_count", InternalCount.AsSpan(n0, n1 - n0));
        sb.Append("is_linear=0\n");
        sb.Append("shrinkage=").Append(Format(Shrinkage[t])).Append("\n\n\n");
        return sb.ToString();
    }

    private static void Line(StringBuilder sb, string key, ReadOnlySpan<double> values)
    {
        sb.Append(key).Append('=');
        for (int i = 0; i < values.Length; i++)
            sb.Append(i > 0 ? " " : "").Append(Format(values[i]));
        sb.Append('\n');
    }

    private static void Line(StringBuilder sb, string key, ReadOnlySpan<float> values)
    {
        sb.Append(key).Append('=');
        for (int i = 0; i < values.Length; i++)
            sb.Append(i > 0 ? " " : "").Append(Format(values[i]));
        sb.Append('\n');
    }

    private static void Line(StringBuilder sb, string key, ReadOnlySpan<int> values)
    {
        sb.Append(key).Append('=');
        for (int i = 0; i < values.Length; i++)
            sb.Append(i > 0 ? " " : "").Append(values[i].ToString(Invariant));
        sb.Append('\n');
    }

    /// <summary>Shortest text that reads back as the same double ("inf"/"nan" as LightGBM writes them).</summary>
    private static string Format(double v)
        => double.IsNaN(v) ? "nan" : double.IsPositiveInfinity(v) ? "inf" : double.IsNegativeInfinity(v) ? "-inf" : v.ToString("R", Invariant);

    private static string SafeFeatureName(string name)
    {
        if (string.IsNullOrEmpty(name))
            return "_";
        var chars = name.ToCharArray();
        for (int i = 0; i < chars.Length; i++)
        {
            if (char.IsWhiteSpace(chars[i]))
                chars[i] = '_';
        }
        return new string(chars);
    }

    private static IEnumerable<double> Doubles(Dictionary<string, string> keys, string key, int count, int tree, bool required)
    {
        if (!keys.TryGetValue(key, out string? text))
        {
            Require(!required, $"tree {tree} has no {key}");
            return new double[count];
        }
        var parts = Split(text);
        Require(parts.Length == count, $"tree {tree}: {key} has {parts.Length} values, expected {count}");
        return parts.Select(ParseDouble);
    }

    private static IEnumerable<int> Ints(Dictionary<string, string> keys, string key, int count, int tree, bool required)
    {
        if (!keys.TryGetValue(key, out string? text))
        {
            Require(!required, $"tree {tree} has no {key}");
            return new int[count];
        }
        var parts = Split(text);
        Require(parts.Length == count, $"tree {tree}: {key} has {parts.Length} values, expected {count}");
        return parts.Select(ParseInt);
    }

    private static string[] Split(string text) => text.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    private static int ParseInt(string s)
    {
        Require(int.TryParse(s, NumberStyles.Integer, Invariant, out int v), $"'{Shorten(s)}' is not an integer");
        return v;
    }

    private static double ParseDouble(string s)
    {
        switch (s)
        {
            case "inf" or "+inf" or "Infinity": return double.PositiveInfinity;
            case "-inf" or "-Infinity": return double.NegativeInfinity;
            case "nan" or "-nan" or "NaN": return double.NaN;
        }
        Require(double.TryParse(s, NumberStyles.Float, Invariant, out double v), $"'{Shorten(s)}' is not a number");
        return v;
    }

    private static void Require(bool ok, string problem)
    {
        if (!ok)
            throw new InvalidDataException($"Not a LightGBM tree model this package can read: {problem}.");
    }

    private static string Shorten(string s) => s.Length <= 60 ? s : s[..60] + "...";
}
