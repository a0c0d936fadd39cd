using System.Collections.Concurrent;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.TorchSharp.Training;

/// <summary>
/// Cached libtorch scalars for the constants MLNetExt's tensor code uses, and additions that pass no temporary scalar.
/// TorchSharp turns a C# number into a temporary <see cref="Scalar"/> whose native handle is passed to libtorch without
/// keeping the managed object alive, so a garbage collection started by another thread during the native call can
/// finalize (free) it while libtorch still reads it (seen as "Expected false to be true" from c10::Scalar::toLong or
/// ::toFloat). Scalars from here live for the process, so every tensor-and-number operation of this package goes
/// through <see cref="Get"/>. TorchSharp's own <c>a + b</c> (tensor or scalar <c>b</c>) and <c>number - tensor</c>
/// call <c>add(b, alpha)</c> with a temporary alpha = 1 made inside TorchSharp, so this package adds with
/// <see cref="Plus(Tensor, Tensor)"/>, <see cref="Plus(Tensor, double)"/> and <see cref="OneMinus"/> instead: the same
/// libtorch kernels with the same operands (bitwise the same results), every scalar cached.
/// </summary>
internal static class TorchScalars
{
    private static readonly ConcurrentDictionary<long, Scalar> Cache = new();

    /// <summary>A scalar of <paramref name="value"/> that stays alive (one per distinct value).</summary>
    public static Scalar Get(double value) => Cache.GetOrAdd(BitConverter.DoubleToInt64Bits(value), bits => BitConverter.Int64BitsToDouble(bits).ToScalar());

    /// <summary><paramref name="left"/> + <paramref name="right"/> (TorchSharp's <c>+</c> with a cached alpha).</summary>
    public static Tensor Plus(this Tensor left, Tensor right) => left.add(right, Get(1));

    /// <summary><paramref name="left"/> + <paramref name="value"/> (TorchSharp's <c>+</c> with cached scalars).</summary>
    public static Tensor Plus(this Tensor left, double value) => left.add(Get(value), Get(1));

    /// <summary>1 - <paramref name="tensor"/>, as -(tensor - 1): <c>sub(Scalar)</c> takes no alpha; equal in IEEE arithmetic.</summary>
    public static Tensor OneMinus(this Tensor tensor) => tensor.sub(Get(1)).neg();
}
