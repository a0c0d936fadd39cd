using System.Buffers.Binary;
using System.IO.Hashing;
using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNetExt.Serialization;

// One loader for every MLNetExt transformer: ML.NET reads the loader signature and the loader assembly's simple name
// from the model header, loads that assembly, and calls ModelPersistence.Create, which dispatches on the component id
// stored in our own envelope. Components never touch ML.NET internals themselves.
[assembly: LoadableClass(typeof(ITransformer), typeof(ModelPersistence), null, typeof(SignatureLoadModel),
    "MLNetExt component", ModelPersistence.LoaderSignature)]

namespace MLNetExt.Serialization;

/// <summary>
/// Saves and loads MLNetExt transformers inside <c>mlContext.Model.Save</c> / <c>Load</c> (docs/architecture.md,
/// "Persistence"), and model-parameters sections on their own. Each transformer's entry in the model holds, after
/// ML.NET's own header, one envelope (<see cref="Envelope"/> has the layout): a CRC-checked header naming the component,
/// its package and format version, then the state in CRC-checked chunks, streamed through one buffer in each direction.
/// The checksum is ours because neither ML.NET nor ZipArchive verifies a zip entry's CRC: without it a flipped byte
/// would silently change learned parameters. Format versions are ours too, so that a model from a newer MLNetExt is
/// refused with a message that names the package to upgrade; ML.NET's header versions stay constant.
/// </summary>
internal static class ModelPersistence
{
    /// <summary>ML.NET's loader signature for all MLNetExt components (at most 24 ASCII characters).</summary>
    internal const string LoaderSignature = "MLNetExtComponent";

    /// <summary>ML.NET's eight-character model signature.</summary>
    internal const string ModelSignature = "MLNETEXT";

    /// <summary>The envelope version this build writes and the newest it reads.</summary>
    internal const int EnvelopeVersion = Envelope.CurrentVersion;

    private static readonly string _assemblyName = typeof(ModelPersistence).Assembly.GetName().Name!;

    // ML.NET's versions never change: ours, in the envelope, carry the meaning (see the class remarks).
    private static VersionInfo GetVersionInfo() => new(
        modelSignature: ModelSignature,
        verWrittenCur: 0x00010001,
        verReadableCur: 0x00010001,
        verWeCanReadBack: 0x00010001,
        loaderSignature: LoaderSignature,
        loaderAssemblyName: _assemblyName);

    /// <summary>Called from a component's <c>ICanSaveModel.Save</c>.</summary>
    public static void Save(ModelSaveContext ctx, IPersistentComponent component)
    {
        Guard.NotNull(ctx, nameof(ctx));
        Guard.NotNull(component, nameof(component));
        ctx.CheckAtModel();
        ctx.SetVersionInfo(GetVersionInfo());
        // ML.NET's BinaryWriter holds no bytes of its own: the envelope goes straight to the entry's stream.
        ctx.Writer.Flush();
        ToStream(ctx.Writer.BaseStream, component);
    }

    /// <summary>Writes the envelope of <paramref name="component"/> to <paramref name="stream"/>.</summary>
    internal static void ToStream(Stream stream, IPersistentComponent component)
    {
        Guard.NotNull(stream, nameof(stream));
        Guard.NotNull(component, nameof(component));
        var format = component.PersistedFormat;
        WriteEnvelope(stream, Envelope.Kind.Component, format.Id, component.GetType().Assembly.GetName().Name!,
            format.CurrentVersion, component.SaveState);
    }

    /// <summary>Reads a component from an envelope written by <see cref="ToStream"/>; the stream is left just after it.</summary>
    internal static ITransformer FromStream(IHostEnvironment env, Stream stream)
    {
        Guard.NotNull(env, nameof(env));
        Guard.NotNull(stream, nameof(stream));
        return ReadComponent(env, stream);
    }

    /// <summary>The envelope of <paramref name="component"/> as bytes (tests, nested state).</summary>
    internal static byte[] ToBytes(IPersistentComponent component)
    {
        using var stream = new MemoryStream();
        ToStream(stream, component);
        return stream.ToArray();
    }

    /// <summary>Reads an envelope written by <see cref="ToBytes"/>.</summary>
    internal static ITransformer FromBytes(IHostEnvironment env, byte[] bytes)
    {
        Guard.NotNull(bytes, nameof(bytes));
        return FromStream(env, new MemoryStream(bytes, writable: false));
    }

    /// <summary>
    /// Saves model parameters on their own: the same envelope, header CRC and chunk CRCs as a transformer in a model,
    /// with the section's id and format version in the header.
    /// </summary>
    internal static void SaveSection(Stream stream, IPersistentSection section)
    {
        Guard.NotNull(stream, nameof(stream));
        Guard.NotNull(section, nameof(section));
        var format = section.SectionFormat;
        WriteEnvelope(stream, Envelope.Kind.Section, format.Id, section.GetType().Assembly.GetName().Name!,
            format.CurrentVersion, section.Save);
    }

    /// <summary>Loads model parameters saved by <see cref="SaveSection"/>, in any version <typeparamref name="T"/> reads.</summary>
    internal static T LoadSection<T>(Stream stream) where T : IPersistentSection<T>
    {
        var format = T.Format;
        return LoadSection(stream, format.Id, format.OldestReadableVersion, format.CurrentVersion, T.Load);
    }

    /// <summary>
    /// Loads a section saved alone by <see cref="SaveSection"/>: checks that the stream holds section
    /// <paramref name="id"/> in a version from <paramref name="oldestReadableVersion"/> to
    /// <paramref name="currentVersion"/>, calls <paramref name="read"/>, and checks that it read the whole state.
    /// </summary>
    internal static T LoadSection<T>(Stream stream, string id, int oldestReadableVersion, int currentVersion, Func<ModelStateReader, T> read)
    {
        Guard.NotNull(stream, nameof(stream));
        Guard.NotNull(id, nameof(id));
        Guard.NotNull(read, nameof(read));
        var (header, reader) = OpenEnvelope(stream);
        try
        {
            try
            {
                if (header.Kind != Envelope.Kind.Section)
                {
                    throw new InvalidDataException(
                        $"This stream holds the MLNetExt component '{header.Id}' (a transformer saved in a model), not the model " +
                        $"parameters '{id}'. Load it with mlContext.Model.Load.");
                }
                if (header.Id != id)
                    throw new InvalidDataException($"This stream holds the MLNetExt model parameters '{header.Id}', not '{id}'.");
                CheckVersion(header, "model parameters", oldestReadableVersion, currentVersion);
            }
            catch (Exception) when (!header.Verified && !reader.IntegrityFailed)
            {
                ThrowIfDamaged(reader);
                throw;
            }
            try
            {
                var value = read(reader);
                reader.Finish();
                return value;
            }
            catch (Exception) when (!reader.IntegrityFailed)
            {
                ThrowIfDamaged(reader);
                throw;
            }
        }
        finally
        {
            reader.Release();
        }
    }

    // Found by ML.NET's ComponentCatalog through the LoadableClass attribute above.
    private static ITransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        Guard.NotNull(env, nameof(env));
        Guard.NotNull(ctx, nameof(ctx));
        ctx.CheckAtModel(GetVersionInfo());
        // ML.NET's BinaryReader reads no further than asked: the envelope starts at the stream's position, and ML.NET
        // checks afterwards that exactly the model's bytes were read.
        return ReadComponent(env, ctx.Reader.BaseStream);
    }

    private static void WriteEnvelope(Stream stream, Envelope.Kind kind, string id, string assemblyName, int formatVersion,
        Action<ModelStateWriter> write)
    {
        Envelope.RequireLittleEndian();
        byte[] idBytes = Envelope.EncodeName(id, "component id");
        byte[] assemblyBytes = Envelope.EncodeName(assemblyName, "assembly name");
        int headerLength = 1 + idBytes.Length + assemblyBytes.Length + sizeof(int);
        var bytes = new byte[12 + headerLength + sizeof(uint)];
        Envelope.Magic.CopyTo(bytes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), Envelope.CurrentVersion);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), headerLength);
        bytes[12] = (byte)kind;
        idBytes.CopyTo(bytes, 13);
        assemblyBytes.CopyTo(bytes, 13 + idBytes.Length);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(13 + idBytes.Length + assemblyBytes.Length), formatVersion);
        var crc = new Crc32();
        crc.Append(bytes.AsSpan(0, 12 + headerLength));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(12 + headerLength), crc.GetCurrentHashAsUInt32());
        stream.Write(bytes);

        var writer = new ModelStateWriter(stream, crc);
        try
        {
            write(writer);
            writer.Finish();
        }
        finally
        {
            writer.Release();
        }
    }

    private sealed record Header(Envelope.Kind Kind, string Id, string AssemblyName, int FormatVersion, bool Verified);

    private static ITransformer ReadComponent(IHostEnvironment env, Stream stream)
    {
        var (header, reader) = OpenEnvelope(stream);
        try
        {
            Func<IHostEnvironment, ModelStateReader, ITransformer> load;
            try
            {
                if (header.Kind != Envelope.Kind.Component)
                {
                    throw new InvalidDataException(
                        $"This model entry holds the MLNetExt model parameters '{header.Id}' saved on their own, not a transformer.");
                }
                if (!ComponentRegistry.TryFind(header.Id, header.AssemblyName, out var format, out load))
                {
                    throw new InvalidDataException(
                        $"This model contains the MLNetExt component '{header.Id}' (package {header.AssemblyName}), which this version of " +
                        $"{header.AssemblyName} does not know. It was probably saved by a newer version: upgrade the MLNetExt packages.");
                }
                CheckVersion(header, "component", format.OldestReadableVersion, format.CurrentVersion);
            }
            catch (Exception) when (!header.Verified && !reader.IntegrityFailed)
            {
                // A version-1 header is covered only by the CRC at the end of the body: confirm it before saying
                // "newer version" or "unknown component" about what may be a damaged byte.
                ThrowIfDamaged(reader);
                throw;
            }
            try
            {
                var component = load(env, reader);
                reader.Finish();
                return component;
            }
            catch (Exception) when (!reader.IntegrityFailed)
            {
                // Whatever the component made of its state, damage found later in the envelope is the real cause.
                ThrowIfDamaged(reader);
                throw;
            }
        }
        finally
        {
            reader.Release();
        }
    }

    private static void CheckVersion(Header header, string kind, int oldest, int current)
    {
        if (header.FormatVersion > current)
        {
            throw new InvalidDataException(
                $"This model was saved by a newer version of {header.AssemblyName}: its {kind} '{header.Id}' has format version " +
                $"{header.FormatVersion}, and this version reads versions {oldest} to {current}. " +
                $"Upgrade the {header.AssemblyName} package to load it.");
        }
        if (header.FormatVersion < oldest)
        {
            throw new InvalidDataException(
                $"This model's {kind} '{header.Id}' has format version {header.FormatVersion}, older than the oldest this version of " +
                $"{header.AssemblyName} reads ({oldest}). Load it with an older MLNetExt version and retrain or re-save.");
        }
    }

    private static void ThrowIfDamaged(ModelStateReader reader)
    {
        if (reader.Drain() is { } damage)
            throw damage;
    }

    private static (Header Header, ModelStateReader Reader) OpenEnvelope(Stream stream)
    {
        Envelope.RequireLittleEndian();
        Span<byte> prefix = stackalloc byte[12];
        if (ReadUpTo(stream, prefix[..4]) != 4 || !prefix[..4].SequenceEqual(Envelope.Magic))
            throw Envelope.Corrupt("its MLNetExt component entry does not start with the MLNetExt marker");
        ReadExactly(stream, prefix[4..]);
        int version = BinaryPrimitives.ReadInt32LittleEndian(prefix[4..]);
        int length = BinaryPrimitives.ReadInt32LittleEndian(prefix[8..]);
        if (version == Envelope.LegacyVersion)
            return OpenLegacy(stream, length);

        // Every envelope version from 2 on starts with a header of bounded length and its CRC: check it before
        // believing the version field.
        if (length < 0 || length > Envelope.MaxHeaderLength)
            throw Envelope.Corrupt($"the header of an MLNetExt component is damaged (envelope version field {version}, header length {length})");
        var crc = new Crc32();
        crc.Append(prefix);
        var header = new byte[length];
        ReadExactly(stream, header);
        crc.Append(header);
        Span<byte> stored = stackalloc byte[sizeof(uint)];
        ReadExactly(stream, stored);
        if (BinaryPrimitives.ReadUInt32LittleEndian(stored) != crc.GetCurrentHashAsUInt32())
            throw Envelope.Corrupt("the checksum of an MLNetExt component's header does not match its content");
        if (version > Envelope.CurrentVersion)
        {
            throw new InvalidDataException(
                $"This model was saved by a newer version of MLNetExt (model envelope version {version}; this version of " +
                $"MLNetExt reads up to {Envelope.CurrentVersion}). Upgrade the MLNetExt packages to load it.");
        }
        if (version < Envelope.LegacyVersion)
            throw Envelope.Corrupt($"its MLNetExt envelope version is {version}");

        int offset = 1;
        var kind = length > 0 ? (Envelope.Kind)header[0] : 0;
        string? id = length > 0 ? Envelope.DecodeName(header, ref offset) : null;
        string? assemblyName = id is null ? null : Envelope.DecodeName(header, ref offset);
        if (kind is not (Envelope.Kind.Component or Envelope.Kind.Section) || assemblyName is null || length - offset != sizeof(int))
            throw Envelope.Corrupt("an MLNetExt component's header does not have the layout of its envelope version");
        int formatVersion = Envelope.ReadInt32(header, ref offset);
        return (new Header(kind, id!, assemblyName, formatVersion, Verified: true),
            ModelStateReader.Framed(stream, crc, id!, assemblyName, formatVersion));
    }

    // Version 1: "MLNX" int32 1 | int32 body length | body | uint32 CRC-32(body), with
    // body = string id | string assembly | int32 format version | int32 state length | state.
    private static (Header Header, ModelStateReader Reader) OpenLegacy(Stream stream, int bodyLength)
    {
        if (bodyLength < 0)
            throw Envelope.Corrupt($"an MLNetExt component claims a negative length ({bodyLength})");
        if (stream.CanSeek && stream.Length - stream.Position < bodyLength + (long)sizeof(uint))
            throw Envelope.Truncated();
        var reader = ModelStateReader.Legacy(stream, new Crc32(), bodyLength);
        string? problem;
        try
        {
            string id = reader.ReadString();
            string assemblyName = reader.ReadString();
            int formatVersion = reader.ReadInt32();
            int stateLength = reader.ReadInt32();
            if (stateLength >= 0 && stateLength == reader.LegacyRemaining)
            {
                reader.Identify(id, assemblyName, formatVersion);
                return (new Header(Envelope.Kind.Component, id, assemblyName, formatVersion, Verified: false), reader);
            }
            problem = $"component '{id}' claims {stateLength} bytes of state";
        }
        catch (InvalidDataException) when (!reader.IntegrityFailed)
        {
            problem = "an MLNetExt component's header is incomplete";
        }
        catch (InvalidDataException)
        {
            reader.Release();
            throw;
        }
        try
        {
            throw reader.Drain() ?? Envelope.Corrupt(problem);
        }
        finally
        {
            reader.Release();
        }
    }

    private static int ReadUpTo(Stream stream, Span<byte> destination)
    {
        int total = 0;
        while (total < destination.Length)
        {
            int n = stream.Read(destination[total..]);
            if (n == 0)
                break;
            total += n;
        }
        return total;
    }

    private static void ReadExactly(Stream stream, Span<byte> destination)
    {
        if (ReadUpTo(stream, destination) != destination.Length)
            throw Envelope.Truncated();
    }
}
