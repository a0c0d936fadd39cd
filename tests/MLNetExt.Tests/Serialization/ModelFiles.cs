using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using System.Text;

namespace MLNetExt.Tests.Serialization;

/// <summary>
/// Edits the MLNetExt entries of a saved model the way a damaged disk, a truncated download or a newer MLNetExt
/// would have written them. Knows the envelope layouts of src/MLNetExt/Serialization/Envelope.cs. Version 2:
/// <c>"MLNX" int32 2, int32 header length H, header (byte kind, string id, string assembly, int32 format version),
/// uint32 CRC</c>, then frames, the first a data chunk <c>int32 n, n state bytes, uint32 CRC</c>. Version 1:
/// <c>"MLNX" int32 1, int32 body length, body, uint32 CRC-32(body)</c> with
/// <c>body = string id, string assembly, int32 format version, int32 state length, state</c>.
/// </summary>
internal static class ModelFiles
{
    private static readonly byte[] Marker = "MLNX"u8.ToArray();

    /// <summary>Rewrites every zip entry that holds an MLNetExt envelope; returns how many were edited.</summary>
    public static int EditEnvelopes(string modelPath, Func<byte[], int, byte[]> edit)
    {
        int edited = 0;
        using var zip = ZipFile.Open(modelPath, ZipArchiveMode.Update);
        foreach (var entry in zip.Entries.ToArray())
        {
            byte[] bytes;
            using (var stream = entry.Open())
            using (var copy = new MemoryStream())
            {
                stream.CopyTo(copy);
                bytes = copy.ToArray();
            }
            int at = bytes.AsSpan().IndexOf(Marker);
            if (at < 0)
                continue;
            var replaced = edit(bytes, at);
            string name = entry.FullName;
            entry.Delete();
            using (var stream = zip.CreateEntry(name).Open())
                stream.Write(replaced);
            edited++;
        }
        return edited;
    }

    /// <summary>The offsets of a version-2 envelope's fields, given the offset of its marker.</summary>
    public readonly record struct Layout(int EnvelopeVersion, int HeaderLength, int Header, int Id, int FormatVersion, int HeaderCrc,
        int Body, int FirstChunkData, int FirstChunkLength);

    /// <summary>Finds the fields of the version-2 envelope at <paramref name="marker"/>.</summary>
    public static Layout Find(byte[] bytes, int marker)
    {
        int headerLength = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(marker + 8));
        int header = marker + 12;
        using var reader = new BinaryReader(new MemoryStream(bytes, header + 1, headerLength - 1), Encoding.UTF8);
        reader.ReadString();
        reader.ReadString();
        int formatVersion = header + 1 + (int)reader.BaseStream.Position;
        int body = header + headerLength + 4;
        int chunk = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(body));
        return new Layout(marker + 4, marker + 8, header, header + 1, formatVersion, header + headerLength, body, body + 4, chunk);
    }

    /// <summary>Recomputes the header CRC after an edit of the header, so that only the edit itself is seen.</summary>
    public static void FixHeaderChecksum(byte[] bytes, int marker)
    {
        var layout = Find(bytes, marker);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(layout.HeaderCrc), Crc32.HashToUInt32(bytes.AsSpan(marker, layout.HeaderCrc - marker)));
    }

    /// <summary>The offsets of a version-1 envelope's fields, given the offset of its marker.</summary>
    public static (int EnvelopeVersion, int BodyLength, int Body, int FormatVersion, int State, int Crc) FindLegacy(byte[] bytes, int marker)
    {
        Assert.AreEqual(1, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(marker + 4)), "envelope version");
        int bodyLength = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(marker + 8));
        int body = marker + 12;
        using var reader = new BinaryReader(new MemoryStream(bytes, body, bodyLength), Encoding.UTF8);
        reader.ReadString();
        reader.ReadString();
        int formatVersion = body + (int)reader.BaseStream.Position;
        return (marker + 4, marker + 8, body, formatVersion, formatVersion + 8, body + bodyLength);
    }

    /// <summary>Recomputes a version-1 body CRC after an edit of the body.</summary>
    public static void FixLegacyChecksum(byte[] bytes, int marker)
    {
        var layout = FindLegacy(bytes, marker);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(layout.Crc), Crc32.HashToUInt32(bytes.AsSpan(layout.Body, layout.Crc - layout.Body)));
    }

    /// <summary>One frame of a version-2 body: its marker, where its payload starts, the payload's length, where its CRC is.</summary>
    public readonly record struct Frame(int Marker, int Payload, int Length, int Crc);

    /// <summary>The frames of the version-2 envelope at <paramref name="marker"/>, and its state bytes (the chunks' data, joined).</summary>
    public static (List<Frame> Frames, byte[] State) ReadFrames(byte[] bytes, int marker)
    {
        var frames = new List<Frame>();
        using var state = new MemoryStream();
        int at = Find(bytes, marker).Body;
        while (true)
        {
            int kind = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(at));
            int payload = at + 4;
            int length = kind switch
            {
                > 0 => kind,
                -1 => SectionHeaderLength(bytes, payload),
                _ => 8,
            };
            frames.Add(new Frame(kind, payload, length, payload + length));
            if (kind > 0)
                state.Write(bytes, payload, length);
            at = payload + length + 4;
            if (kind == 0)
                return (frames, state.ToArray());
        }
    }

    /// <summary>
    /// Recomputes every CRC of the version-2 envelope at <paramref name="marker"/> after an edit, so that a test sees
    /// how the reader's structural checks (not its checksums) treat the edit.
    /// </summary>
    public static void RecomputeChecksums(byte[] bytes, int marker)
    {
        FixHeaderChecksum(bytes, marker);
        var crc = new Crc32();
        var layout = Find(bytes, marker);
        crc.Append(bytes.AsSpan(marker, layout.HeaderCrc - marker));
        foreach (var frame in ReadFrames(bytes, marker).Frames)
        {
            crc.Append(bytes.AsSpan(frame.Payload - 4, frame.Length + 4));
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(frame.Crc), crc.GetCurrentHashAsUInt32());
        }
    }

    private static int SectionHeaderLength(byte[] bytes, int payload)
    {
        using var reader = new BinaryReader(new MemoryStream(bytes, payload, bytes.Length - payload), Encoding.UTF8);
        reader.ReadString();
        return (int)reader.BaseStream.Position + 4;
    }
}
