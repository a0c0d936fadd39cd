using System.Collections.Concurrent;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.TorchSharp.Training;

/// <summary>
/// Cached libtorch scalars for the constants MLNetExt's tensor code uses. TorchSharp turns a C# number into a
/// temporary <see cref="Scalar"/> whose native handle is passed to libtorch without keeping the managed object alive,
/// so the garbage collector can finalize (free) it while libtorch still reads it (seen as "Expected false to be true"
/// from c10::Scalar::toLong under allocation pressure). Scalars from here live for the process, so every
/// tensor-and-number operation of this package goes through <see cref="Get"/>.
/// </summary>
internal static class TorchScalars
{
    private static readonly ConcurrentDictionary<long, Scalar> Cache = new();

    /// <summary>A scalar of <paramref name="value"/> that stays alive (one per distinct value).</summary>
    public static Scalar Get(double value) => Cache.GetOrAdd(BitConverter.DoubleToInt64Bits(value), bits => BitConverter.Int64BitsToDouble(bits).ToScalar());
}
