using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace MLNetExt.Ranking.Native;

/// <summary>
/// Routes LightGBM's log to an <see cref="Action{T}"/> of whole lines (the ML.NET layer connects it to the component
/// channel).
/// </summary>
/// <remarks>
/// LightGBM keeps its log callback and its log level per thread (<c>THREAD_LOCAL</c> in <c>utils/log.h</c>) and
/// writes one line in three pieces ("[LightGBM] [Info] ", the text, "\n"). So the callback is registered on each
/// thread that calls LightGBM, pieces are assembled per thread, and a line is passed on when its newline arrives.
/// Lines that LightGBM writes from its own worker threads (OpenMP, the network) do not pass through a callback;
/// LightGBM prints them to standard output, and fatal errors also to standard error (their text reaches us anyway
/// through <c>LGBM_GetLastError</c>).
/// </remarks>
internal static unsafe class LightGbmLog
{
    [ThreadStatic] private static Action<string>? t_sink;
    [ThreadStatic] private static StringBuilder? t_line;
    [ThreadStatic] private static bool t_registered;

    /// <summary>
    /// Sends LightGBM's log lines written on this thread to <paramref name="sink"/> (null: drop them) until the
    /// returned scope is disposed; the previous sink is then restored.
    /// </summary>
    public static Scope Route(Action<string>? sink)
    {
        if (!t_registered)
        {
            LightGbmApi.Check(LightGbmNative.LGBM_RegisterLogCallback(&OnLog));
            t_registered = true;
        }
        var previous = t_sink;
        t_sink = sink;
        return new Scope(previous);
    }

    /// <summary>Restores the previous sink of the thread.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly Action<string>? _previous;

        internal Scope(Action<string>? previous) => _previous = previous;

        /// <inheritdoc/>
        public void Dispose()
        {
            Flush();
            t_sink = _previous;
        }
    }

    private static void Flush()
    {
        if (t_line is { Length: > 0 } line)
        {
            string text = line.ToString();
            line.Clear();
            t_sink?.Invoke(text);
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnLog(byte* piece)
    {
        try
        {
            string? text = Marshal.PtrToStringUTF8((IntPtr)piece);
            if (string.IsNullOrEmpty(text))
                return;
            var line = t_line ??= new StringBuilder();
            foreach (char c in text)
            {
                if (c == '\n')
                {
                    string complete = line.ToString();
                    line.Clear();
                    if (complete.Length > 0)
                        t_sink?.Invoke(complete);
                }
                else if (c != '\r')
                {
                    line.Append(c);
                }
            }
        }
        catch (Exception)
        {
            // An exception must not cross into native code; a lost log line is the lesser harm.
        }
    }
}
