using System.Buffers.Binary;
using System.Text;

namespace MLNetExt.Serialization;

/// <summary>
/// The layout of an MLNetExt envelope: the bytes that hold one component's (or one model-parameters section's) saved
/// state inside a model entry, or alone in a stream. Version 2 (written since the large-model work) streams:
/// <code>
/// "MLNX" | int32 envelope version (2) | int32 header length H (0..65,536) | header (H bytes) | uint32 CRC
///   header (version 2) = byte kind (1 transformer component, 2 model-parameters section saved alone)
///                        | string id | string assembly name | int32 format version
/// body = frame* end frame, where each frame is an int32 marker, a payload and a uint32 CRC:
///   data chunk       int32 n (1..1,048,576) | n state bytes                             | uint32 CRC
///   section begin    int32 -1 | string section id | int32 section format version          | uint32 CRC
///   section end      int32 -2 | int64 state bytes between the begin and end frames         | uint32 CRC
///   end              int32  0 | int64 state bytes of the whole body                        | uint32 CRC
/// </code>
/// One running CRC-32 (System.IO.Hashing.Crc32, the zip/IEEE polynomial) covers every byte of the envelope from
/// "MLNX" on except the CRC fields themselves; each CRC field holds the running value at its position. A reader
/// therefore confirms the header before it acts on the version, the id or the format version, and every chunk before
/// it hands any of its bytes to a component. Every later envelope version keeps the first four fields and the header
/// CRC, so that an older reader can tell a newer file (header CRC passes) from a damaged one (it does not). Strings are
/// UTF-8 with a 7-bit-encoded byte count (BinaryWriter's format); ids are at most 1,024 bytes; all numbers are
/// little-endian. A component's state bytes are the same in every envelope version: they are what it writes through
/// <see cref="ModelStateWriter"/>, cut into chunks wherever the writer's buffer fills or a section begins or ends.
/// <para>
/// Version 1 (read, no longer written): <c>"MLNX" | int32 1 | int32 body length | body | uint32 CRC-32(body)</c>
/// with <c>body = string id | string assembly name | int32 format version | int32 state length | state</c>.
/// </para>
/// </summary>
internal static class Envelope
{
    /// <summary>The four bytes every envelope starts with.</summary>
    public static ReadOnlySpan<byte> Magic => "MLNX"u8;

    /// <summary>The first layout: one length-prefixed body, its CRC at the end.</summary>
    public const int LegacyVersion = 1;

    /// <summary>The version this build writes, and the newest it reads.</summary>
    public const int CurrentVersion = 2;

    /// <summary>The largest header a reader accepts; a larger header length is damage.</summary>
    public const int MaxHeaderLength = 64 * 1024;

    /// <summary>The most state bytes one data chunk holds, and the size of the one buffer a reader or writer uses.</summary>
    public const int ChunkSize = 1 << 20;

    /// <summary>The longest id (UTF-8 bytes) of a component, assembly or section.</summary>
    public const int MaxNameBytes = 1024;

    /// <summary>Frame marker of a section's first frame.</summary>
    public const int SectionBeginMarker = -1;

    /// <summary>Frame marker of a section's last frame.</summary>
    public const int SectionEndMarker = -2;

    /// <summary>Frame marker of the body's last frame.</summary>
    public const int EndMarker = 0;

    /// <summary>What an envelope holds.</summary>
    public enum Kind : byte
    {
        /// <summary>A transformer, loaded through <see cref="ComponentRegistry"/>.</summary>
        Component = 1,

        /// <summary>A model-parameters object saved on its own (<see cref="ModelPersistence.SaveSection"/>).</summary>
        Section = 2,
    }

    /// <summary>Envelopes are little-endian, and the bulk reads and writes copy memory as it is.</summary>
    public static void RequireLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException(
                "MLNetExt saves and loads models only on little-endian processors (the model files are little-endian and " +
                "arrays are copied as they are in memory); this process runs on a big-endian processor.");
        }
    }

    /// <summary>Writes <paramref name="value"/> as BinaryWriter's 7-bit encoded integer; returns the bytes used (1..5).</summary>
    public static int Write7BitEncoded(Span<byte> destination, int value)
    {
        uint rest = (uint)value;
        int i = 0;
        while (rest >= 0x80)
        {
            destination[i++] = (byte)(rest | 0x80);
            rest >>= 7;
        }
        destination[i++] = (byte)rest;
        return i;
    }

    /// <summary>The UTF-8 bytes of a name with their 7-bit length prefix, checked against <see cref="MaxNameBytes"/>.</summary>
    public static byte[] EncodeName(string name, string parameterName)
    {
        Guard.Argument(!string.IsNullOrEmpty(name), parameterName, $"The {parameterName} must be a non-empty string.");
        int count = Encoding.UTF8.GetByteCount(name);
        Guard.Argument(count <= MaxNameBytes, parameterName,
            $"The {parameterName} '{name}' is {count} UTF-8 bytes long; at most {MaxNameBytes} are allowed.");
        var bytes = new byte[5 + count];
        int prefix = Write7BitEncoded(bytes, count);
        Encoding.UTF8.GetBytes(name, bytes.AsSpan(prefix));
        return bytes[..(prefix + count)];
    }

    /// <summary>Reads a name written by <see cref="EncodeName"/> from <paramref name="bytes"/> at <paramref name="offset"/>; null if damaged.</summary>
    public static string? DecodeName(ReadOnlySpan<byte> bytes, ref int offset)
    {
        int count = 0;
        for (int shift = 0; ; shift += 7)
        {
            if (offset >= bytes.Length || shift > 28)
                return null;
            byte b = bytes[offset++];
            count |= (b & 0x7F) << shift;
            if (b < 0x80)
                break;
        }
        if (count <= 0 || count > MaxNameBytes || count > bytes.Length - offset)
            return null;
        string name = Encoding.UTF8.GetString(bytes.Slice(offset, count));
        offset += count;
        return name;
    }

    /// <summary>Reads a little-endian int32 at <paramref name="offset"/> and advances it.</summary>
    public static int ReadInt32(ReadOnlySpan<byte> bytes, ref int offset)
    {
        int value = BinaryPrimitives.ReadInt32LittleEndian(bytes[offset..]);
        offset += sizeof(int);
        return value;
    }

    /// <summary>A stream that ends inside an envelope.</summary>
    public static InvalidDataException Truncated()
        => new("The model file is truncated: an MLNetExt component's saved state ends early. Save the model again.");

    /// <summary>Damage found by a check of the envelope (a CRC, a length, a marker).</summary>
    public static InvalidDataException Corrupt(string detail)
        => new($"The model file is corrupted: {detail}. Save the model again.");
}
