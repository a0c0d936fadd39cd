using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using System.Text;

namespace MLNetExt.Tests.Serialization;

/// <summary>
/// Edits the MLNetExt entries of a saved model the way a damaged disk, a truncated download or a newer MLNetExt
/// would have written them. Knows the envelope layout of src/MLNetExt/Serialization/ModelPersistence.cs:
/// <c>"MLNX" int32 envelope version, int32 body length, body, uint32 CRC-32(body)</c> with
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

    /// <summary>The offsets of an envelope's fields, given the offset of its marker.</summary>
    public static (int EnvelopeVersion, int BodyLength, int Body, int FormatVersion, int State, int Crc) Layout(byte[] bytes, int marker)
    {
        int bodyLength = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(marker + 8));
        int body = marker + 12;
        using var reader = new BinaryReader(new MemoryStream(bytes, body, bodyLength), Encoding.UTF8);
        reader.ReadString();
        reader.ReadString();
        int formatVersion = body + (int)reader.BaseStream.Position;
        return (marker + 4, marker + 8, body, formatVersion, formatVersion + 8, body + bodyLength);
    }

    /// <summary>Recomputes the CRC after an edit of the body, so that only the edit itself is seen.</summary>
    public static void FixChecksum(byte[] bytes, int marker)
    {
        var layout = Layout(bytes, marker);
        int length = layout.Crc - layout.Body;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(layout.Crc), Crc32.HashToUInt32(bytes.AsSpan(layout.Body, length)));
    }
}
