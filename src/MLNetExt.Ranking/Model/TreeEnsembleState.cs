using MLNetExt.Serialization;

namespace MLNetExt.Ranking.Model;

/// <summary>
/// The ensemble as a section of MLNetExt's model state (docs/architecture.md, "Persistence"): counts, names, then
/// every array in bulk. The envelope around it (chunk checksums, format versions) is the package's one mechanism.
/// </summary>
internal sealed partial class TreeEnsemble : IPersistentSection<TreeEnsemble>
{
    // Version 1: counts, feature names and infos, objective, parameters, then the node, leaf and tree arrays.
    private static readonly ComponentFormat StateFormat = new("MLNetExt.Ranking.TreeEnsemble", 1);

    static ComponentFormat IPersistentSection<TreeEnsemble>.Format => StateFormat;

    ComponentFormat IPersistentSection.SectionFormat => StateFormat;

    void IPersistentSection.Save(ModelStateWriter writer)
    {
        writer.Write(FeatureCount);
        writer.Write(TreeCount);
        writer.Write(NodeStart[TreeCount]);
        writer.Write(LeafStart[TreeCount]);
        writer.Write(FeatureNames);
        writer.Write(FeatureInfos);
        writer.Write(Objective is not null);
        writer.Write(Objective ?? "");
        writer.Write(Parameters);
        writer.Write(NodeStart);
        writer.Write(LeafStart);
        writer.Write(SplitFeature);
        writer.Write(Threshold);
        writer.Write(DecisionType);
        writer.Write(LeftChild);
        writer.Write(RightChild);
        writer.Write(SplitGain);
        writer.Write(InternalValue);
        writer.Write(InternalWeight);
        writer.Write(InternalCount);
        writer.Write(LeafValue);
        writer.Write(LeafWeight);
        writer.Write(LeafCount);
        writer.Write(Shrinkage);
    }

    static TreeEnsemble IPersistentSection<TreeEnsemble>.Load(ModelStateReader reader)
    {
        int features = reader.ReadInt32("the feature count", 1, int.MaxValue);
        int trees = reader.ReadInt32("the tree count", 0, int.MaxValue);
        int nodes = reader.ReadInt32("the split count", 0, int.MaxValue);
        int leaves = reader.ReadInt32("the leaf count", trees, int.MaxValue);
        var names = reader.ReadStringArray("the feature names");
        var infos = reader.ReadStringArray("the feature infos");
        reader.Check(names.Length == features && infos.Length == features,
            $"there are {names.Length} feature names and {infos.Length} feature infos for {features} features");
        bool hasObjective = reader.ReadBoolean();
        string objective = reader.ReadString();
        string parameters = reader.ReadString();
        var nodeStart = Sized(reader.ReadInt32Array("the tree node offsets"), trees + 1, "tree node offsets", reader);
        var leafStart = Sized(reader.ReadInt32Array("the tree leaf offsets"), trees + 1, "tree leaf offsets", reader);
        var splitFeature = Sized(reader.ReadInt32Array("the split features"), nodes, "split features", reader);
        var threshold = Sized(reader.ReadDoubleArray("the thresholds"), nodes, "thresholds", reader);
        var decision = Sized(reader.ReadByteArray("the decision types"), nodes, "decision types", reader);
        var left = Sized(reader.ReadInt32Array("the left children"), nodes, "left children", reader);
        var right = Sized(reader.ReadInt32Array("the right children"), nodes, "right children", reader);
        var gain = Sized(reader.ReadSingleArray("the split gains"), nodes, "split gains", reader);
        var internalValue = Sized(reader.ReadDoubleArray("the internal values"), nodes, "internal values", reader);
        var internalWeight = Sized(reader.ReadDoubleArray("the internal weights"), nodes, "internal weights", reader);
        var internalCount = Sized(reader.ReadInt32Array("the internal counts"), nodes, "internal counts", reader);
        var leafValue = Sized(reader.ReadDoubleArray("the leaf values"), leaves, "leaf values", reader);
        var leafWeight = Sized(reader.ReadDoubleArray("the leaf weights"), leaves, "leaf weights", reader);
        var leafCount = Sized(reader.ReadInt32Array("the leaf counts"), leaves, "leaf counts", reader);
        var shrinkage = Sized(reader.ReadDoubleArray("the shrinkage"), trees, "shrinkage values", reader);
        reader.Check(nodeStart[trees] == nodes && leafStart[trees] == leaves, "its tree offsets do not match its counts");
        try
        {
            return new TreeEnsemble(features, names, infos, hasObjective ? objective : null, parameters, nodeStart, leafStart, splitFeature,
                threshold, decision, left, right, gain, internalValue, internalWeight, internalCount, leafValue, leafWeight, leafCount, shrinkage);
        }
        catch (InvalidDataException e)
        {
            throw reader.Invalid(e.Message);
        }
    }

    private static T[] Sized<T>(T[] values, int expected, string what, ModelStateReader reader)
    {
        reader.Check(values.Length == expected, $"there are {values.Length} {what}, not {expected}");
        return values;
    }
}
