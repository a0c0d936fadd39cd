using System.Text;
using Microsoft.ML;
using MLNetExt.Serialization;

namespace MLNetExt.Tests.Serialization;

/// <summary>
/// The state writer and reader on their own: bulk spans in, the same bytes as BinaryWriter out (the version-1
/// writer, an independent oracle for the state's byte layout), everything read back bit for bit, chunks and sections
/// framed and checked, and damage of any kind reported as damage without large allocations.
/// </summary>
[TestClass]
public sealed class ModelStateTests
{
    private static readonly ComponentFormat Mixed = new("MLNetExt.Tests.Mixed", 1);

    private enum Color
    {
        Red = 1,
        Blue = 7,
    }

    // Values that cross chunk boundaries (3 MiB of bytes, a 2 MiB string) and odd floats (a NaN payload, -0).
    private static readonly byte[] Bytes = Enumerable.Range(0, 3 * 1024 * 1024 + 5).Select(i => (byte)(i * 31 + (i >> 13))).ToArray();
    private static readonly int[] Ints = [0, -1, int.MaxValue, int.MinValue, 42];
    private static readonly long[] Longs = [0, -1, long.MaxValue, long.MinValue, 1L << 40];
    private static readonly float[] Floats = [0f, -0f, float.NaN, BitConverter.Int32BitsToSingle(0x7FC0_1234), float.Epsilon, float.MaxValue, 1.5f];
    private static readonly double[] Doubles = [0, -0.0, double.NaN, BitConverter.Int64BitsToDouble(0x7FF8_0000_0000_4321), double.Epsilon, Math.PI];
    private static readonly string LongString = string.Concat(Enumerable.Repeat("αβγ-longer-than-a-chunk-", 2 * 1024 * 1024 / 27));
    private static readonly string[] Strings = ["", "Score", "größe", "日本語", LongString[..5000]];

    private static void WriteAll(ModelStateWriter w)
    {
        w.Write(true);
        w.WriteByte(200);
        w.Write(-123456789);
        w.Write(-1234567890123456789L);
        w.Write(float.NegativeInfinity);
        w.Write(Math.E);
        w.Write("column");
        w.WriteEnum(Color.Blue);
        w.Write(Bytes.AsSpan());
        w.Write(Ints.AsSpan());
        w.Write(Longs.AsSpan());
        w.Write(Floats.AsSpan());
        w.Write(Doubles.AsSpan());
        w.Write(LongString);
        w.Write(Strings);
        w.Write(ReadOnlySpan<float>.Empty);
        w.Write(Floats.AsSpan());
    }

    // The same values through BinaryWriter, element by element: what version 1 wrote.
    private static byte[] WriteAllWithBinaryWriter()
    {
        using var stream = new MemoryStream();
        using var w = new BinaryWriter(stream, Encoding.UTF8);
        w.Write(true);
        w.Write((byte)200);
        w.Write(-123456789);
        w.Write(-1234567890123456789L);
        w.Write(float.NegativeInfinity);
        w.Write(Math.E);
        w.Write("column");
        w.Write((int)Color.Blue);
        w.Write(Bytes.Length);
        w.Write(Bytes);
        w.Write(Ints.Length);
        foreach (int v in Ints)
            w.Write(v);
        w.Write(Longs.Length);
        foreach (long v in Longs)
            w.Write(v);
        w.Write(Floats.Length);
        foreach (float v in Floats)
            w.Write(v);
        w.Write(Doubles.Length);
        foreach (double v in Doubles)
            w.Write(v);
        w.Write(LongString);
        w.Write(Strings.Length);
        foreach (string v in Strings)
            w.Write(v);
        w.Write(0);
        w.Write(Floats.Length);
        foreach (float v in Floats)
            w.Write(v);
        w.Flush();
        return stream.ToArray();
    }

    private static byte[] Save(IPersistentSection section)
    {
        using var stream = new MemoryStream();
        ModelPersistence.SaveSection(stream, section);
        return stream.ToArray();
    }

    private static T Load<T>(byte[] bytes, ComponentFormat format, Func<ModelStateReader, T> read, bool seekable = true)
    {
        Stream stream = new MemoryStream(bytes, writable: false);
        if (!seekable)
            stream = new ForwardOnlyStream(stream);
        return ModelPersistence.LoadSection(stream, format.Id, format.OldestReadableVersion, format.CurrentVersion, read);
    }

    [TestMethod]
    public void StateBytes_AreWhatBinaryWriterWrites_InChunksOfAtMostOneMiB()
    {
        var envelope = Save(new DelegateSection(Mixed, WriteAll));
        var (frames, state) = ModelFiles.ReadFrames(envelope, 0);
        CollectionAssert.AreEqual(WriteAllWithBinaryWriter(), state);
        var chunks = frames.Where(f => f.Marker > 0).ToArray();
        Assert.IsGreaterThan(5, chunks.Length, "3 MiB of bytes and a 2 MiB string take several chunks");
        Assert.IsTrue(chunks.All(c => c.Length <= 1 << 20), string.Join(", ", chunks.Select(c => c.Length)));
        Assert.AreEqual(0, frames[^1].Marker);
        Assert.AreEqual((long)state.Length, BitConverter.ToInt64(envelope, frames[^1].Payload), "the end frame records the state length");
    }

    [TestMethod]
    public void EverythingWritten_IsReadBack_BitForBit_FromSeekableAndForwardOnlyStreams()
    {
        var envelope = Save(new DelegateSection(Mixed, WriteAll));
        foreach (bool seekable in new[] { true, false })
        {
            string where = seekable ? "seekable" : "forward-only";
            Load(envelope, Mixed, r =>
            {
                Assert.AreEqual(1, r.FormatVersion);
                Assert.AreEqual(Mixed.Id, r.ComponentId);
                Assert.IsTrue(r.ReadBoolean());
                Assert.AreEqual(200, r.ReadByte());
                Assert.AreEqual(-123456789, r.ReadInt32());
                Assert.AreEqual(-1234567890123456789L, r.ReadInt64());
                Assert.AreEqual(float.NegativeInfinity, r.ReadSingle());
                Assert.AreEqual(Math.E, r.ReadDouble());
                Assert.AreEqual("column", r.ReadNonEmptyString("the column"));
                Assert.AreEqual(Color.Blue, r.ReadEnum<Color>("the color"));
                CollectionAssert.AreEqual(Bytes, r.ReadByteArray("the bytes"), where);
                CollectionAssert.AreEqual(Ints, r.ReadInt32Array("the ints"), where);
                CollectionAssert.AreEqual(Longs, r.ReadInt64Array("the longs"), where);
                CollectionAssert.AreEqual(Floats.Select(BitConverter.SingleToInt32Bits).ToArray(),
                    r.ReadSingleArray("the floats").Select(BitConverter.SingleToInt32Bits).ToArray(), where);
                var doubles = new double[Doubles.Length];
                r.ReadInto(doubles, "the doubles");
                CollectionAssert.AreEqual(Doubles.Select(BitConverter.DoubleToInt64Bits).ToArray(), doubles.Select(BitConverter.DoubleToInt64Bits).ToArray(), where);
                Assert.AreEqual(LongString, r.ReadString(), where);
                CollectionAssert.AreEqual(Strings, r.ReadStringArray("the strings"), where);
                Assert.AreEqual(0, r.ReadSingleArray("the empty array").Length);
                var floats = new float[Floats.Length];
                r.ReadInto(floats, "the floats again");
                CollectionAssert.AreEqual(Floats.Select(BitConverter.SingleToInt32Bits).ToArray(), floats.Select(BitConverter.SingleToInt32Bits).ToArray(), where);
                Assert.AreEqual(WriteAllWithBinaryWriter().LongLength, r.Position, "64-bit position: every state byte read");
                return 0;
            }, seekable);
        }
    }

    [TestMethod]
    public void ReadInto_EachElementType_FillsTheCallersBuffer_AndRefusesAnotherLength()
    {
        var format = new ComponentFormat("MLNetExt.Tests.Into", 1);
        var envelope = Save(new DelegateSection(format, w =>
        {
            w.Write(Bytes.AsSpan(0, 10));
            w.Write(Ints.AsSpan());
            w.Write(Longs.AsSpan());
            w.Write(Floats.AsSpan());
        }));
        void ReadFirstThree(ModelStateReader r)
        {
            var bytes = new byte[10];
            r.ReadInto(bytes, "the bytes");
            CollectionAssert.AreEqual(Bytes[..10], bytes);
            var ints = new int[Ints.Length];
            r.ReadInto(ints, "the ints");
            CollectionAssert.AreEqual(Ints, ints);
            var longs = new long[Longs.Length];
            r.ReadInto(longs, "the longs");
            CollectionAssert.AreEqual(Longs, longs);
        }
        Load(envelope, format, r =>
        {
            ReadFirstThree(r);
            var floats = new float[Floats.Length];
            r.ReadInto(floats, "the floats");
            CollectionAssert.AreEqual(Floats.Select(BitConverter.SingleToInt32Bits).ToArray(), floats.Select(BitConverter.SingleToInt32Bits).ToArray());
            return 0;
        });
        var ex = Assert.ThrowsExactly<InvalidDataException>(() => Load(envelope, format, r =>
        {
            ReadFirstThree(r);
            r.ReadInto(new float[3], "the weights of layer 2");
            return 0;
        }));
        StringAssert.Contains(ex.Message, $"the weights of layer 2 has {Floats.Length} values; expected 3");
        StringAssert.Contains(ex.Message, "'MLNetExt.Tests.Into'");
    }

    [TestMethod]
    public void Section_IsVersionedOnItsOwn_InsideATransformer_ThroughModelSaveAndLoad()
    {
        var mlContext = new MLContext(seed: 1);
        var model = ToyEnsembleParameters.Example();
        var transformer = new ToyRankingTransformer("Features", model);
        string path = Path.Combine(Path.GetTempPath(), $"mlnetext-section-{Guid.NewGuid():N}.zip");
        try
        {
            mlContext.Model.Save(transformer, inputSchema: null!, path);
            var loaded = (ToyRankingTransformer)new MLContext(seed: 2).Model.Load(path, out _);
            Assert.AreEqual("Features", loaded.FeatureColumn);
            AssertSame(model, loaded.Model);
            Assert.AreEqual(2, loaded.Model.LoadedVersion, "inside the section, FormatVersion is the section's version");
        }
        finally
        {
            File.Delete(path);
        }
        CollectionAssert.AreEqual(ModelPersistence.ToBytes(transformer),
            ModelPersistence.ToBytes((IPersistentComponent)ModelPersistence.FromBytes(mlContext, ModelPersistence.ToBytes(transformer))));
    }

    [TestMethod]
    public void Section_OlderVersion_IsRead_NewerOrTooOld_IsRefusedByName()
    {
        var model = ToyEnsembleParameters.Example();
        var outer = new ComponentFormat("MLNetExt.Tests.Outer", 4);
        byte[] WithSection(int version) => Save(new DelegateSection(outer, w =>
        {
            w.Write("Features");
            w.WriteSection(ToyEnsembleParameters.Format.Id, version, model.SaveVersion1);
        }));
        ToyEnsembleParameters ReadOuter(ModelStateReader r)
        {
            Assert.AreEqual("Features", r.ReadString());
            var parameters = r.ReadSection<ToyEnsembleParameters>();
            Assert.AreEqual(4, r.FormatVersion, "the component's version is back after the section");
            Assert.IsNull(r.SectionId);
            return parameters;
        }

        var old = Load(WithSection(1), outer, ReadOuter);
        Assert.AreEqual(1, old.LoadedVersion);
        Assert.AreEqual(0, old.FeatureNames.Length);
        CollectionAssert.AreEqual(model.Counts, old.Counts);

        var ex = Assert.ThrowsExactly<InvalidDataException>(() => Load(WithSection(3), outer, ReadOuter));
        StringAssert.Contains(ex.Message, "saved by a newer version of MLNetExt.Tests");
        StringAssert.Contains(ex.Message, "section 'MLNetExt.Tests.ToyEnsemble'");
        StringAssert.Contains(ex.Message, "format version 3, and this version reads versions 1 to 2");
        StringAssert.Contains(ex.Message, "Upgrade");

        ex = Assert.ThrowsExactly<InvalidDataException>(() => Load(WithSection(1), outer, r =>
        {
            r.ReadString();
            return r.ReadSection("MLNetExt.Tests.ToyEnsemble", 2, 2, _ => 0);
        }));
        StringAssert.Contains(ex.Message, "format version 1, older than the oldest");
    }

    [TestMethod]
    public void Section_ReadingLessOrMore_OrAnotherId_IsRefusedNamingTheSection()
    {
        var outer = new ComponentFormat("MLNetExt.Tests.Outer", 1);
        var envelope = Save(new DelegateSection(outer, w =>
        {
            w.WriteSection("Inner", 5, s =>
            {
                s.Write(1);
                s.Write(2);
            });
            w.Write(3);
        }));

        var ex = Assert.ThrowsExactly<InvalidDataException>(() => Load(envelope, outer, r => r.ReadSection("Inner", 1, 5, s => s.ReadInt32())));
        StringAssert.Contains(ex.Message, "section 'Inner' (format 5)");
        StringAssert.Contains(ex.Message, "left over after reading it");

        ex = Assert.ThrowsExactly<InvalidDataException>(() => Load(envelope, outer, r => r.ReadSection("Inner", 1, 5, s => s.ReadInt32() + s.ReadInt32() + s.ReadInt32())));
        StringAssert.Contains(ex.Message, "section 'Inner' (format 5)");
        StringAssert.Contains(ex.Message, "ends early");

        ex = Assert.ThrowsExactly<InvalidDataException>(() => Load(envelope, outer, r => r.ReadSection("Other", 1, 5, s => 0)));
        StringAssert.Contains(ex.Message, "section 'Other' was expected, but section 'Inner' comes first");

        ex = Assert.ThrowsExactly<InvalidDataException>(() => Load(envelope, outer, r => r.ReadInt32()));
        StringAssert.Contains(ex.Message, "a section comes where data was expected");

        Assert.AreEqual(6, Load(envelope, outer, r => r.ReadSection("Inner", 1, 5, s =>
        {
            Assert.AreEqual(5, s.FormatVersion);
            Assert.AreEqual("Inner", s.SectionId);
            return s.ReadInt32() + s.ReadInt32();
        }) + r.ReadInt32()));
    }

    [TestMethod]
    public void NestedSections_LargerThanAChunk_RoundTrip_AndTheirRecordedLengthIsChecked()
    {
        var outer = new ComponentFormat("MLNetExt.Tests.Outer", 1);
        var big = Enumerable.Range(0, 600_000).Select(i => i * 0.5f).ToArray();
        var envelope = Save(new DelegateSection(outer, w =>
        {
            w.Write(1);
            w.WriteSection("A", 1, a =>
            {
                a.Write(big);
                a.WriteSection("B", 2, b => b.Write(big));
                a.Write(2);
            });
        }));
        int Read(ModelStateReader r)
        {
            int sum = r.ReadInt32();
            sum += r.ReadSection("A", 1, 1, a =>
            {
                CollectionAssert.AreEqual(big, a.ReadSingleArray("a"));
                a.ReadSection("B", 2, 2, b =>
                {
                    Assert.AreEqual("B", b.SectionId);
                    return b.ReadSingleArray("b").Length;
                });
                Assert.AreEqual("A", a.SectionId);
                Assert.AreEqual(1, a.FormatVersion);
                return a.ReadInt32();
            });
            return sum;
        }
        Assert.AreEqual(3, Load(envelope, outer, Read));
        Assert.AreEqual(3, Load(envelope, outer, Read, seekable: false));

        // The section-end frame records the section's length (64-bit); a wrong one, with valid checksums, is refused.
        var frames = ModelFiles.ReadFrames(envelope, 0).Frames;
        var endOfB = frames.First(f => f.Marker == -2);
        Assert.AreEqual(4L + 4 * big.Length, BitConverter.ToInt64(envelope, endOfB.Payload));
        BitConverter.TryWriteBytes(envelope.AsSpan(endOfB.Payload), 12L);
        ModelFiles.RecomputeChecksums(envelope, 0);
        var ex = Assert.ThrowsExactly<InvalidDataException>(() => Load(envelope, outer, Read));
        StringAssert.Contains(ex.Message, $"section 'B' (format 2), is invalid: it records 12 bytes but holds {4 + 4 * big.Length}");
    }

    [TestMethod]
    public void ModelParameters_SavedAlone_RoundTrip_AndAreNotMistakenForAnotherKind()
    {
        var model = ToyEnsembleParameters.Example(nodes: 1000);
        var bytes = Save(model);
        var loaded = ModelPersistence.LoadSection<ToyEnsembleParameters>(new MemoryStream(bytes));
        AssertSame(model, loaded);
        Assert.AreEqual(2, loaded.LoadedVersion);
        CollectionAssert.AreEqual(bytes, Save(loaded), "saving what was loaded gives the same bytes");

        var mlContext = new MLContext(seed: 1);
        var ex = Assert.ThrowsExactly<InvalidDataException>(() => ModelPersistence.FromBytes(mlContext, bytes));
        StringAssert.Contains(ex.Message, "holds the MLNetExt model parameters 'MLNetExt.Tests.ToyEnsemble' saved on their own, not a transformer");

        var component = ModelPersistence.ToBytes(new FloatStateTransformer([1f, 2f]));
        ex = Assert.ThrowsExactly<InvalidDataException>(() => ModelPersistence.LoadSection<ToyEnsembleParameters>(new MemoryStream(component)));
        StringAssert.Contains(ex.Message, "holds the MLNetExt component 'MLNetExt.Tests.FloatState'");

        ex = Assert.ThrowsExactly<InvalidDataException>(() => Load(bytes, new ComponentFormat("MLNetExt.Tests.Other", 1), _ => 0));
        StringAssert.Contains(ex.Message, "holds the MLNetExt model parameters 'MLNetExt.Tests.ToyEnsemble', not 'MLNetExt.Tests.Other'");
    }

    [TestMethod]
    public void DamagedChunk_IsReportedAsCorrupted_EvenWhenTheComponentFailsFirst()
    {
        var format = new ComponentFormat("MLNetExt.Tests.Chunks", 1);
        var values = Enumerable.Range(0, 700_000).Select(i => (float)i).ToArray();
        var envelope = Save(new DelegateSection(format, w =>
        {
            w.Write(values);
            w.Write(values);
        }));
        var chunks = ModelFiles.ReadFrames(envelope, 0).Frames.Where(f => f.Marker > 0).ToArray();
        Assert.IsGreaterThanOrEqualTo(3, chunks.Length);
        var damaged = (byte[])envelope.Clone();
        damaged[chunks[^1].Payload + 100] ^= 0x04;

        // The reader checks each chunk's CRC before handing its bytes over.
        var ex = Assert.ThrowsExactly<InvalidDataException>(() => Load(damaged, format, r => r.ReadSingleArray("a").Length + r.ReadSingleArray("b").Length));
        StringAssert.Contains(ex.Message, "corrupted");
        StringAssert.Contains(ex.Message, "checksum");

        // A component that gives up early (its own error) on a damaged envelope: the damage is what is reported.
        static int GiveUp(ModelStateReader r)
        {
            r.ReadInt32();
            throw new InvalidOperationException("the component's own, confusing error");
        }
        ex = Assert.ThrowsExactly<InvalidDataException>(() => Load(damaged, format, GiveUp));
        StringAssert.Contains(ex.Message, "corrupted");
        ex = Assert.ThrowsExactly<InvalidDataException>(() => Load(damaged, format, GiveUp, seekable: false));
        StringAssert.Contains(ex.Message, "corrupted");
        // Intact: the component's error stands.
        Assert.ThrowsExactly<InvalidOperationException>(() => Load(envelope, format, GiveUp));
    }

    [TestMethod]
    public void EveryFlippedBit_AndEveryCut_IsReportedAsDamage()
    {
        var mlContext = new MLContext(seed: 1);
        var envelope = ModelPersistence.ToBytes(new ToyRankingTransformer("Features", ToyEnsembleParameters.Example(nodes: 3)));
        for (int i = 0; i < envelope.Length; i++)
        {
            for (int bit = 0; bit < 8; bit++)
            {
                var damaged = (byte[])envelope.Clone();
                damaged[i] ^= (byte)(1 << bit);
                var ex = Assert.ThrowsExactly<InvalidDataException>(() => ModelPersistence.FromBytes(mlContext, damaged), $"byte {i} bit {bit}");
                Assert.IsTrue(ex.Message.Contains("corrupted", StringComparison.Ordinal) || ex.Message.Contains("truncated", StringComparison.Ordinal),
                    $"byte {i} bit {bit}: {ex.Message}");
            }
        }
        for (int length = 0; length < envelope.Length; length++)
        {
            foreach (bool seekable in new[] { true, false })
            {
                Stream stream = new MemoryStream(envelope, 0, length, writable: false);
                if (!seekable)
                    stream = new ForwardOnlyStream(stream);
                var ex = Assert.ThrowsExactly<InvalidDataException>(() => ModelPersistence.FromStream(mlContext, stream), $"length {length}");
                Assert.IsTrue(ex.Message.Contains("corrupted", StringComparison.Ordinal) || ex.Message.Contains("truncated", StringComparison.Ordinal),
                    $"length {length}: {ex.Message}");
            }
        }
    }

    [TestMethod]
    public void DamagedLengths_NeitherAllocateMuchNorWait()
    {
        var format = new ComponentFormat("MLNetExt.Tests.Lengths", 1);
        // An array that claims int.MaxValue floats (8 GiB) but holds two.
        var envelope = Save(new DelegateSection(format, w =>
        {
            w.Write(int.MaxValue);
            w.Write(1f);
            w.Write(2f);
        }));
        foreach (bool seekable in new[] { true, false })
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            var ex = Assert.ThrowsExactly<InvalidDataException>(() => Load(envelope, format, r => r.ReadSingleArray("the weights"), seekable));
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            StringAssert.Contains(ex.Message, seekable ? "the weights claims 2147483647 values, more than the saved state holds" : "ends early");
            Assert.IsLessThan(4L << 20, allocated, $"{(seekable ? "seekable" : "forward-only")}: {allocated:N0} bytes allocated");
        }

        // A chunk, a header or a section id that claims too much is damage, found before any allocation of that size.
        var chunked = Save(new DelegateSection(format, w => w.Write(7)));
        var layout = ModelFiles.Find(chunked, 0);
        var edits = new (string Name, Action<byte[]> Edit)[]
        {
            ("chunk length 16 MiB", b => BitConverter.TryWriteBytes(b.AsSpan(layout.Body), 16 << 20)),
            ("chunk length int.MaxValue", b => BitConverter.TryWriteBytes(b.AsSpan(layout.Body), int.MaxValue)),
            ("frame marker -7", b => BitConverter.TryWriteBytes(b.AsSpan(layout.Body), -7)),
            ("header length int.MaxValue", b => BitConverter.TryWriteBytes(b.AsSpan(layout.HeaderLength), int.MaxValue)),
        };
        foreach (var (name, edit) in edits)
        {
            var damaged = (byte[])chunked.Clone();
            edit(damaged);
            long before = GC.GetAllocatedBytesForCurrentThread();
            var ex = Assert.ThrowsExactly<InvalidDataException>(() => Load(damaged, format, r => r.ReadInt32(), seekable: false), name);
            Assert.IsLessThan(4L << 20, GC.GetAllocatedBytesForCurrentThread() - before, name);
            StringAssert.Contains(ex.Message, "corrupted", name);
        }
    }

    [TestMethod]
    public void LargeState_StreamsThroughOneBuffer_AllocatingOnlyTheStateItself()
    {
        // 64 MiB of floats: saving allocates next to nothing (the state goes out through one pooled 1 MiB buffer);
        // loading allocates the array once when the stream's length is known (a model entry, a file), and grows it
        // as the bytes arrive (at most about twice the state) when it is not.
        const int count = 16 << 20;
        long state = 4L * count;
        var values = new float[count];
        for (int i = 0; i < count; i++)
            values[i] = i * 0.25f;
        var component = new FloatStateTransformer(values);
        var mlContext = new MLContext(seed: 1);
        string path = Path.Combine(Path.GetTempPath(), $"mlnetext-large-{Guid.NewGuid():N}.bin");
        try
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            using (var file = File.Create(path))
                ModelPersistence.ToStream(file, component);
            long saveAllocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.IsLessThan(2L << 20, saveAllocated, $"save allocated {saveAllocated:N0} bytes for a {state:N0}-byte state");
            Assert.IsLessThan(state + (64 << 10), new FileInfo(path).Length, "framing costs 8 bytes per MiB");

            foreach (bool seekable in new[] { true, false })
            {
                GC.Collect();
                before = GC.GetAllocatedBytesForCurrentThread();
                FloatStateTransformer loaded;
                using (Stream file = File.OpenRead(path))
                    loaded = (FloatStateTransformer)ModelPersistence.FromStream(mlContext, seekable ? file : new ForwardOnlyStream(file));
                long loadAllocated = GC.GetAllocatedBytesForCurrentThread() - before;
                long bound = seekable ? state + (2 << 20) : 2 * state + (2 << 20);
                Assert.IsLessThan(bound, loadAllocated, $"{(seekable ? "seekable" : "forward-only")} load allocated {loadAllocated:N0} bytes for a {state:N0}-byte state");
                Assert.IsTrue(values.AsSpan().SequenceEqual(loaded.Values), seekable ? "seekable" : "forward-only");
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void Writer_RefusesWhatCannotBeReadBack()
    {
        var format = new ComponentFormat("MLNetExt.Tests.Refused", 1);
        var cases = new (string Name, Action<ModelStateWriter> Write, string Expected)[]
        {
            ("null string in a list", w => w.Write(new[] { "a", null! }), "The string at index 1 of 2 is null"),
            ("empty section id", w => w.WriteSection("", 1, _ => { }), "section id"),
            ("section version 0", w => w.WriteSection("S", 0, _ => { }), "at least 1; got 0"),
            ("section id too long", w => w.WriteSection(new string('x', 1025), 1, _ => { }), "at most 1024"),
        };
        foreach (var (name, write, expected) in cases)
        {
            var ex = Assert.ThrowsExactly<ArgumentException>(() => Save(new DelegateSection(format, write)), name);
            StringAssert.Contains(ex.Message, expected, name);
        }
    }

    internal static void AssertSame(ToyEnsembleParameters expected, ToyEnsembleParameters actual)
    {
        CollectionAssert.AreEqual(expected.Features, actual.Features);
        CollectionAssert.AreEqual(expected.Thresholds, actual.Thresholds);
        CollectionAssert.AreEqual(expected.Leaves, actual.Leaves);
        CollectionAssert.AreEqual(expected.Counts, actual.Counts);
        CollectionAssert.AreEqual(expected.FeatureNames, actual.FeatureNames);
    }
}

/// <summary>A stream that can only be read forward: its length is unknown, as for a network stream.</summary>
internal sealed class ForwardOnlyStream(Stream inner) : Stream
{
    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

    public override int Read(Span<byte> buffer) => inner.Read(buffer);

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            inner.Dispose();
        base.Dispose(disposing);
    }
}
