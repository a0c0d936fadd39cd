using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.TorchSharp.Training;

/// <summary>
/// The process-wide parts of TorchSharp that MLNetExt's trainers touch: loading libtorch with a message that says
/// which package to add, the device an option names, and the intra-op thread count during a fit.
/// </summary>
internal static partial class TorchRuntime
{
    private static readonly object Gate = new();
    private static bool _loaded;

    /// <summary>
    /// Loads libtorch (once); throws <see cref="InvalidOperationException"/> naming the backend packages when it cannot.
    /// </summary>
    public static void EnsureLoaded()
    {
        if (_loaded)
            return;
        lock (Gate)
        {
            if (_loaded)
                return;
            try
            {
                InitializeDeviceType(DeviceType.CPU);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new InvalidOperationException(
                    "MLNetExt.TorchSharp could not load libtorch (TorchSharp's native backend). Add a backend package to the " +
                    "application: libtorch-cpu-linux-x64, libtorch-cpu-win-x64 or libtorch-cpu-osx-arm64 for the CPU, " +
                    "TorchSharp-cuda-linux or TorchSharp-cuda-windows for CUDA. TorchSharp said: " + e.Message, e);
            }
            _loaded = true;
        }
    }

    [GeneratedRegex(@"^(cpu|cuda)(:(0|[1-9][0-9]{0,3}))?$", RegexOptions.CultureInvariant)]
    private static partial Regex DevicePattern();

    /// <summary>Whether <paramref name="device"/> is "cpu", "cuda" or "cuda:N" (checked when options are validated).</summary>
    public static bool IsValidDeviceName(string? device) => device is not null && DevicePattern().IsMatch(device) && device != "cpu:0" && !device.StartsWith("cpu:", StringComparison.Ordinal);

    /// <summary>
    /// The device named by an option; a CUDA device when CUDA is not available (a CPU-only backend, no GPU, or index N
    /// past the device count) is an <see cref="InvalidOperationException"/> that names the option and says what to do.
    /// </summary>
    public static Device ResolveDevice(string device, string optionName)
    {
        EnsureLoaded();
        var match = DevicePattern().Match(device);
        Guard.Option(match.Success && IsValidDeviceName(device), optionName, $"must be \"cpu\", \"cuda\" or \"cuda:N\"; got \"{device}\".");
        if (match.Groups[1].Value == "cpu")
            return CPU;
        int index = match.Groups[3].Success ? int.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture) : 0;
        if (!cuda.is_available())
        {
            throw new InvalidOperationException(
                $"{optionName} is \"{device}\", but CUDA is not available in this process: the libtorch backend is CPU-only or " +
                "no CUDA device was found. Reference TorchSharp-cuda-linux (or TorchSharp-cuda-windows) instead of the CPU " +
                "backend package and run on a machine with an NVIDIA GPU, or set it to \"cpu\".");
        }
        int count = cuda.device_count();
        if (index >= count)
            throw new InvalidOperationException($"{optionName} is \"{device}\", but this machine has {count} CUDA device(s) (cuda:0 to cuda:{count - 1}).");
        return new Device(DeviceType.CUDA, index);
    }

    private static int _allocatorTuned;

    /// <summary>
    /// On Linux with glibc, once per process: raises malloc's mmap threshold to 256 MiB and its trim threshold to 1 GiB
    /// (mallopt M_MMAP_THRESHOLD, M_TRIM_THRESHOLD), so libtorch's large temporary tensors (a [64, 150, 150] float
    /// matrix is 5.8 MB) reuse heap memory instead of being mapped, page-faulted in and unmapped again for every
    /// minibatch. In a .NET process glibc's own adaptive threshold does not take effect (measured: NeuralNDCG's forward
    /// and backward on 64 lists of 150 documents, 739 ms -> 279 ms; CPython processes, such as allRank's, get the
    /// adaptive behaviour by default). Process-wide; the memory a fit used stays with the process for reuse. Returns
    /// whether the settings were applied.
    /// </summary>
    public static bool TuneNativeAllocator()
    {
        if (!OperatingSystem.IsLinux() || Interlocked.Exchange(ref _allocatorTuned, 1) == 1)
            return false;
        try
        {
            const int TrimThreshold = -1, TopPad = -2, MmapThreshold = -3;
            return mallopt(MmapThreshold, 256 << 20) == 1 && mallopt(TrimThreshold, 1 << 30) == 1 && mallopt(TopPad, 256 << 20) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;                                     // not glibc (musl): leave the allocator as it is
        }
    }

    [DllImport("libc.so.6", EntryPoint = "mallopt")]
    private static extern int mallopt(int parameter, int value);

    /// <summary>
    /// Sets libtorch's intra-op thread count (a process-wide setting) for the life of the returned scope, then puts the
    /// previous value back; null leaves it as it is.
    /// </summary>
    public static IDisposable ThreadScope(int? threads)
    {
        EnsureLoaded();
        if (threads is not { } n)
            return NoScope.Instance;
        int previous = get_num_threads();
        set_num_threads(n);
        return new RestoreThreads(previous);
    }

    private sealed class RestoreThreads(int previous) : IDisposable
    {
        public void Dispose() => set_num_threads(previous);
    }

    private sealed class NoScope : IDisposable
    {
        public static readonly NoScope Instance = new();

        public void Dispose()
        {
        }
    }
}
