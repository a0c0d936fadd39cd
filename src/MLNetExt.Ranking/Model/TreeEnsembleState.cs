using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;

namespace MLNetExt.Ranking.Model;

/// <summary>The ensemble's own binary state format, for the package's persistence (large-state path).</summary>
internal sealed partial class TreeEnsemble
{
    /// <summary>Current state format. 1: first version.</summary>
    public const int StateFormatVersion = 1;

    private static ReadOnlySpan<byte> Magic => "MLXT"u8;

    /// <summary>
    /// Writes the ensemble to <paramref name="stream"/>: "MLXT", int32 format version, int32 payload length, the
    /// payload (counts, names, then every array as one little-endian block), uint32 CRC-32 of the payload.
    /// </summary>
    public void WriteTo(Stream stream)
    {
        Guard.NotNull(stream, nameof(stream));
        using var payload = new MemoryStream();
        using (var w = new BinaryWriter(payload, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(FeatureCount);
            w.Write(TreeCount);
            w.Write(NodeStart[TreeCount]);
            w.Write(LeafStart[TreeCount]);
            foreach (string name in FeatureNames)
                w.Write(name);
            foreach (string info in FeatureInfos)
                w.Write(info);
            w.Write(Objective is not null);
            w.Write(Objective ?? "");
            w.Write(Parameters);
            Block(w, NodeStart);
            Block(w, LeafStart);
            Block(w, SplitFeature);
            Block(w, Threshold);
            w.Write(DecisionType);
            Block(w, LeftChild);
            Block(w, RightChild);
            Block(w, SplitGain);
            Block(w, InternalValue);
            Block(w, InternalWeight);
            Block(w, InternalCount);
            Block(w, LeafValue);
            Block(w, LeafWeight);
            Block(w, LeafCount);
            Block(w, Shrinkage);
        }
        byte[] body = payload.ToArray();
        using var o = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        o.Write(Magic);
        o.Write(StateFormatVersion);
        o.Write(body.Length);
        o.Write(body);
        o.Write(Crc32.HashToUInt32(body));
    }

    /// <summary>Reads an ensemble written by <see cref="WriteTo"/>; every count and value is checked.</summary>
    /// <exception cref="InvalidDataException">The data is damaged, truncated or from a newer format version.</exception>
    public static TreeEnsemble ReadFrom(Stream stream)
    {
        Guard.NotNull(stream, nameof(stream));
        using var r = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        try
        {
            Span<byte> magic = stackalloc byte[4];
            r.BaseStream.ReadExactly(magic);
            State(magic.SequenceEqual(Magic), "it does not start with the tree-ensemble marker");
            int version = r.ReadInt32();
            State(version >= 1, $"its format version is {version}");
            if (version > StateFormatVersion)
            {
                throw new InvalidDataException(
                    $"This tree ensemble was saved in format version {version} by a newer MLNetExt.Ranking; this version reads up to {StateFormatVersion}. Upgrade the MLNetExt.Ranking package.");
            }
            int length = r.ReadInt32();
            State(length >= 0 && length <= int.MaxValue - 16, $"its payload length is {length}");
            byte[] body = r.ReadBytes(length);
            State(body.Length == length, "it is truncated");
            uint crc = r.ReadUInt32();
            State(crc == Crc32.HashToUInt32(body), "its checksum does not match (the data is corrupted)");
            return ReadPayload(body);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException("The tree ensemble state is truncated.");
        }
    }

    private static TreeEnsemble ReadPayload(byte[] body)
    {
        using var r = new BinaryReader(new MemoryStream(body), Encoding.UTF8);
        int features = r.ReadInt32();
        int trees = r.ReadInt32();
        int nodes = r.ReadInt32();
        int leaves = r.ReadInt32();
        State(features >= 1 && trees >= 0 && nodes >= 0 && leaves >= trees && leaves <= body.Length && nodes <= body.Length && features <= body.Length,
            $"its counts are out of range ({features} features, {trees} trees, {nodes} splits, {leaves} leaves)");
        var names = new string[features];
        for (int f = 0; f < features; f++)
            names[f] = r.ReadString();
        var infos = new string[features];
        for (int f = 0; f < features; f++)
            infos[f] = r.ReadString();
        bool hasObjective = r.ReadBoolean();
        string objective = r.ReadString();
        string parameters = r.ReadString();
        var nodeStart = Read<int>(r, trees + 1);
        var leafStart = Read<int>(r, trees + 1);
        var splitFeature = Read<int>(r, nodes);
        var threshold = Read<double>(r, nodes);
        byte[] decision = r.ReadBytes(nodes);
        State(decision.Length == nodes, "it is truncated");
        var left = Read<int>(r, nodes);
        var right = Read<int>(r, nodes);
        var gain = Read<float>(r, nodes);
        var internalValue = Read<double>(r, nodes);
        var internalWeight = Read<double>(r, nodes);
        var internalCount = Read<int>(r, nodes);
        var leafValue = Read<double>(r, leaves);
        var leafWeight = Read<double>(r, leaves);
        var leafCount = Read<int>(r, leaves);
        var shrinkage = Read<double>(r, trees);
        State(r.BaseStream.Position == body.Length, "it has trailing bytes");
        State(nodeStart[trees] == nodes && leafStart[trees] == leaves, "its tree offsets do not match its counts");
        return new TreeEnsemble(features, names, infos, hasObjective ? objective : null, parameters, nodeStart, leafStart, splitFeature,
            threshold, decision, left, right, gain, internalValue, internalWeight, internalCount, leafValue, leafWeight, leafCount, shrinkage);
    }

    private static void Block<T>(BinaryWriter w, T[] values) where T : unmanaged
        => w.Write(MemoryMarshal.AsBytes(values.AsSpan()));

    private static T[] Read<T>(BinaryReader r, int count) where T : unmanaged
    {
        var values = new T[count];
        var bytes = MemoryMarshal.AsBytes(values.AsSpan());
        State(r.Read(bytes) == bytes.Length, "it is truncated");
        return values;
    }

    private static void State(bool ok, string problem)
    {
        if (!ok)
            throw new InvalidDataException($"The tree ensemble state cannot be read: {problem}.");
    }
}
