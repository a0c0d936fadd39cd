using System.IO.Hashing;
using System.Text;
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
/// "Persistence"). Each transformer's entry in the model holds, after ML.NET's own header:
/// <code>
/// "MLNX"  int32 envelope version  int32 body length  body  uint32 CRC-32 of body
/// body = string component id, string assembly name, int32 format version, int32 state length, state bytes
/// </code>
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
    internal const int EnvelopeVersion = 1;

    private static ReadOnlySpan<byte> Magic => "MLNX"u8;

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
        Write(ctx.Writer, component);
    }

    /// <summary>The envelope of <paramref name="component"/> as bytes (tests, nested state).</summary>
    internal static byte[] ToBytes(IPersistentComponent component)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
            Write(writer, component);
        return stream.ToArray();
    }

    /// <summary>Reads an envelope written by <see cref="ToBytes"/>.</summary>
    internal static ITransformer FromBytes(IHostEnvironment env, byte[] bytes)
    {
        using var reader = new BinaryReader(new MemoryStream(bytes, writable: false), Encoding.UTF8);
        return Read(env, reader);
    }

    // Found by ML.NET's ComponentCatalog through the LoadableClass attribute above.
    private static ITransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        Guard.NotNull(env, nameof(env));
        Guard.NotNull(ctx, nameof(ctx));
        ctx.CheckAtModel(GetVersionInfo());
        return Read(env, ctx.Reader);
    }

    private static void Write(BinaryWriter writer, IPersistentComponent component)
    {
        var format = component.PersistedFormat;
        using var state = new MemoryStream();
        var stateWriter = new ModelStateWriter(state);
        component.SaveState(stateWriter);
        stateWriter.Flush();

        using var body = new MemoryStream();
        using (var bodyWriter = new BinaryWriter(body, Encoding.UTF8, leaveOpen: true))
        {
            bodyWriter.Write(format.Id);
            bodyWriter.Write(component.GetType().Assembly.GetName().Name!);
            bodyWriter.Write(format.CurrentVersion);
            bodyWriter.Write(checked((int)state.Length));
            bodyWriter.Write(state.GetBuffer(), 0, (int)state.Length);
        }
        var bodyBytes = body.GetBuffer().AsSpan(0, (int)body.Length);
        writer.Write(Magic);
        writer.Write(EnvelopeVersion);
        writer.Write(bodyBytes.Length);
        writer.Write(bodyBytes);
        writer.Write(Crc32.HashToUInt32(bodyBytes));
    }

    private static ITransformer Read(IHostEnvironment env, BinaryReader reader)
    {
        Span<byte> magic = stackalloc byte[4];
        if (reader.Read(magic) != 4 || !magic.SequenceEqual(Magic))
            throw Corrupt("its MLNetExt component entry does not start with the MLNetExt marker");
        int envelopeVersion = ReadInt32(reader);
        if (envelopeVersion > EnvelopeVersion)
        {
            throw new InvalidDataException(
                $"This model was saved by a newer version of MLNetExt (model envelope version {envelopeVersion}; this " +
                $"version of MLNetExt reads up to {EnvelopeVersion}). Upgrade the MLNetExt packages to load it.");
        }
        if (envelopeVersion < 1)
            throw Corrupt($"its MLNetExt envelope version is {envelopeVersion}");
        int bodyLength = ReadInt32(reader);
        if (bodyLength < 0)
            throw Corrupt($"an MLNetExt component claims a negative length ({bodyLength})");
        byte[] body = reader.ReadBytes(bodyLength);
        if (body.Length != bodyLength)
            throw Truncated();
        uint expectedCrc = unchecked((uint)ReadInt32(reader));
        if (Crc32.HashToUInt32(body) != expectedCrc)
            throw Corrupt("the checksum of an MLNetExt component's saved state does not match its content");

        using var bodyStream = new MemoryStream(body, writable: false);
        using var bodyReader = new BinaryReader(bodyStream, Encoding.UTF8);
        string id, assemblyName;
        int formatVersion, stateLength;
        try
        {
            id = bodyReader.ReadString();
            assemblyName = bodyReader.ReadString();
            formatVersion = bodyReader.ReadInt32();
            stateLength = bodyReader.ReadInt32();
        }
        catch (EndOfStreamException)
        {
            throw Corrupt("an MLNetExt component's header is incomplete");
        }
        if (stateLength < 0 || stateLength != bodyStream.Length - bodyStream.Position)
            throw Corrupt($"component '{id}' claims {stateLength} bytes of state");

        if (!ComponentRegistry.TryFind(id, assemblyName, out var format, out var load))
        {
            throw new InvalidDataException(
                $"This model contains the MLNetExt component '{id}' (package {assemblyName}), which this version of " +
                $"{assemblyName} does not know. It was probably saved by a newer version: upgrade the MLNetExt packages.");
        }
        if (formatVersion > format.CurrentVersion)
        {
            throw new InvalidDataException(
                $"This model was saved by a newer version of {assemblyName}: its component '{id}' has format version " +
                $"{formatVersion}, and this version reads versions {format.OldestReadableVersion} to {format.CurrentVersion}. " +
                $"Upgrade the {assemblyName} package to load it.");
        }
        if (formatVersion < format.OldestReadableVersion)
        {
            throw new InvalidDataException(
                $"This model's component '{id}' has format version {formatVersion}, older than the oldest this version of " +
                $"{assemblyName} reads ({format.OldestReadableVersion}). Load it with an older MLNetExt version and retrain or re-save.");
        }

        using var stateStream = new MemoryStream(body, (int)bodyStream.Position, stateLength, writable: false);
        var stateReader = new ModelStateReader(stateStream, id, formatVersion);
        var component = load(env, stateReader);
        stateReader.Check(stateReader.AtEnd, "bytes are left over after reading it");
        return component;
    }

    private static int ReadInt32(BinaryReader reader)
    {
        try
        {
            return reader.ReadInt32();
        }
        catch (EndOfStreamException)
        {
            throw Truncated();
        }
    }

    private static InvalidDataException Truncated()
        => new("The model file is truncated: an MLNetExt component's saved state ends early. Save the model again.");

    private static InvalidDataException Corrupt(string detail)
        => new($"The model file is corrupted: {detail}. Save the model again.");
}
