using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.TorchSharp.Training;

/// <summary>
/// Tensors built from managed arrays in libtorch's own memory. TorchSharp's <c>torch.tensor(array)</c> pins the array
/// and wraps it without copying (<c>from_blob</c>), and <c>.to(CPU)</c> keeps that memory, so such a tensor lives
/// wherever the garbage collector put the array: 8-byte aligned, at an address that depends on what the process
/// allocated before. The BLAS kernels behind <c>linear</c> and <c>matmul</c> (MKL's sgemm) take different code paths
/// for differently aligned inputs and round differently in the last bit (measured: a [144, 4] x [4, 8] product gives
/// other bits unless the input is 16-byte aligned), so a network fed such a tensor directly gives results that vary
/// from run to run with the heap's state. libtorch's allocator aligns to 64 bytes, so every tensor from here gives
/// the same bits whatever happened before.
/// </summary>
internal static class TorchArrays
{
    /// <summary>A float32 tensor of <paramref name="values"/> with <paramref name="shape"/>, copied into libtorch's memory on <paramref name="device"/>.</summary>
    public static Tensor ToTensor(float[] values, ReadOnlySpan<long> shape, Device device)
    {
        using var pinned = tensor(values, shape);
        return pinned.to(device, copy: true);
    }
}
