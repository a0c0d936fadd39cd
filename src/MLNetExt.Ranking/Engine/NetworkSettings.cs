using MLNetExt.Data;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using MLNetExt.Ranking.Native;

namespace MLNetExt.Ranking.Engine;

/// <summary>
/// Data-parallel training across processes with LightGBM's own network layer (<c>tree_learner=data</c>,
/// <c>pre_partition=true</c>): every process runs the same training call on its own whole queries.
/// </summary>
internal sealed record NetworkSettings
{
    /// <summary>Every process as "host:port", the same list in the same order in every process (this one included).</summary>
    public required IReadOnlyList<string> Machines { get; init; }

    /// <summary>The port this process listens on; must be its entry's port in <see cref="Machines"/>.</summary>
    public required int LocalPort { get; init; }

    /// <summary>How long to wait for the other processes to appear, and LightGBM's socket time-out. Default 2 minutes.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Rows from which every process finds the same bin boundaries before the network starts (the same rows in the
    /// same order in every process, for example the whole training set or a fixed sample of it); the bins then equal
    /// single-process training's. Null: LightGBM finds bins distributed (each process bins a share of the features
    /// from its own rows), which agrees across processes but not with single-process training.
    /// </summary>
    public IRowBlockSource? BinSample { get; init; }

    /// <summary>Checks the settings; throws <see cref="ArgumentOutOfRangeException"/> naming the option.</summary>
    public void Validate()
    {
        Guard.Option(Machines is { Count: >= 2 }, nameof(Machines), $"must list at least 2 machines; got {Machines?.Count ?? 0}.");
        foreach (string m in Machines!)
            Guard.Option(TryParse(m, out _, out _), nameof(Machines), $"entries must be 'host:port'; got '{m}'.");
        Guard.Option(LocalPort is > 0 and < 65536, nameof(LocalPort), $"must be a TCP port in [1, 65535]; got {LocalPort}.");
        Guard.Option(Timeout > TimeSpan.Zero, nameof(Timeout), $"must be positive; got {Timeout}.");
        Guard.Option(Machines.Count(m => TryParse(m, out _, out int p) && p == LocalPort) >= 1, nameof(LocalPort),
            $"{LocalPort} is not the port of any entry of {nameof(Machines)}.");
    }

    internal static bool TryParse(string machine, out string host, out int port)
    {
        host = "";
        port = 0;
        int colon = machine.LastIndexOf(':');
        if (colon <= 0)
            return false;
        host = machine[..colon];
        return int.TryParse(machine[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is > 0 and < 65536;
    }
}

/// <summary>
/// Starts and frees LightGBM's network, after checking that every other process is reachable.
/// </summary>
/// <remarks>
/// <para>LightGBM's <c>LGBM_NetworkInit</c> retries an absent peer for about two minutes, then reports success, and
/// the first exchange crashes the process (no exception can catch it). So before calling it, every process meets the
/// others on its own port with a short TCP handshake of our own, bounded by <see cref="NetworkSettings.Timeout"/>:
/// listen on the local port, connect to every peer, and once all connections in both directions exist, close the
/// listener and tell the peers so. Only when every peer has said its listener is closed does the process call
/// <c>LGBM_NetworkInit</c> (so LightGBM never reaches one of our listeners). The side that opened a connection
/// closes it first, so no socket lingers in TIME_WAIT on a listening port (LightGBM binds without address reuse).</para>
/// <para>LightGBM keeps its network state per thread: initialisation, dataset and booster creation and training
/// must run on the same thread, which <see cref="RankingBoostingLoop"/> does.</para>
/// </remarks>
internal sealed class LightGbmNetwork : IDisposable
{
    private bool _disposed;

    private LightGbmNetwork()
    {
    }

    /// <summary>Meets the peers, then calls <c>LGBM_NetworkInit</c>. Dispose to call <c>LGBM_NetworkFree</c>.</summary>
    /// <exception cref="TimeoutException">A peer did not appear in time; the message names it.</exception>
    public static LightGbmNetwork Start(NetworkSettings settings, CancellationToken cancellation = default)
    {
        Guard.NotNull(settings, nameof(settings));
        settings.Validate();
        var peers = new List<(string Host, int Port)>();
        bool selfFound = false;
        foreach (string m in settings.Machines)
        {
            NetworkSettings.TryParse(m, out string host, out int port);
            if (!selfFound && port == settings.LocalPort && IsLocal(host))
            {
                selfFound = true;
                continue;
            }
            peers.Add((host, port));
        }
        Guard.Option(selfFound, nameof(NetworkSettings.Machines),
            $"has no entry for this machine (a local address with port {settings.LocalPort}).");
        Rendezvous(peers, settings.LocalPort, settings.Timeout, cancellation);
        int minutes = Math.Max(1, (int)Math.Ceiling(settings.Timeout.TotalMinutes));
        LightGbmApi.Check(LightGbmNative.LGBM_NetworkInit(string.Join(",", settings.Machines), settings.LocalPort, minutes, settings.Machines.Count));
        return new LightGbmNetwork();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        LightGbmApi.Check(LightGbmNative.LGBM_NetworkFree());
    }

    private static bool IsLocal(string host)
    {
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(host, out var parsed) ? [parsed] : Dns.GetHostAddresses(host);
        }
        catch (SocketException)
        {
            return false;
        }
        var local = NetworkInterface.GetAllNetworkInterfaces()
            .SelectMany(n => n.GetIPProperties().UnicastAddresses.Select(a => a.Address)).ToHashSet();
        return addresses.Any(a => IPAddress.IsLoopback(a) || local.Contains(a));
    }

    private static void Rendezvous(List<(string Host, int Port)> peers, int localPort, TimeSpan timeout, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        TimeSpan Left() => timeout - clock.Elapsed;
        var listener = new TcpListener(IPAddress.Any, localPort);
        listener.Start(peers.Count);
        var incoming = new List<Socket>();
        var outgoing = new Socket?[peers.Count];
        try
        {
            // Accept the peers' connections and connect to theirs, alternately, until both sides are complete.
            var pendingAccept = listener.AcceptSocketAsync(cancellation).AsTask();
            while (incoming.Count < peers.Count || outgoing.Any(s => s is null))
            {
                cancellation.ThrowIfCancellationRequested();
                if (Left() <= TimeSpan.Zero)
                    throw Timeout(peers, outgoing, incoming.Count, timeout);
                if (incoming.Count < peers.Count && pendingAccept.IsCompleted)
                {
                    incoming.Add(pendingAccept.GetAwaiter().GetResult());
                    if (incoming.Count < peers.Count)
                        pendingAccept = listener.AcceptSocketAsync(cancellation).AsTask();
                }
                for (int p = 0; p < peers.Count; p++)
                {
                    if (outgoing[p] is not null)
                        continue;
                    var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                    try
                    {
                        var connect = socket.ConnectAsync(peers[p].Host, peers[p].Port, cancellation).AsTask();
                        if (connect.Wait(TimeSpan.FromMilliseconds(500)) && socket.Connected)
                        {
                            outgoing[p] = socket;
                            continue;
                        }
                    }
                    catch (AggregateException)
                    {
                    }
                    catch (SocketException)
                    {
                    }
                    socket.Dispose();
                }
                if (incoming.Count < peers.Count)
                    pendingAccept.Wait(TimeSpan.FromMilliseconds(100));
            }
            listener.Stop();
            // Tell every peer that our listener is closed, then half-close: we opened these connections, we close first.
            foreach (var s in outgoing)
            {
                s!.Send([1]);
                s.Shutdown(SocketShutdown.Send);
            }
            // Wait until every peer said its listener is closed and half-closed its connection to us.
            var buffer = new byte[1];
            foreach (var s in incoming)
            {
                s.ReceiveTimeout = (int)Math.Max(1, Left().TotalMilliseconds);
                int got = s.Receive(buffer);
                if (got != 1 || buffer[0] != 1)
                    throw new IOException("A peer closed the training rendezvous unexpectedly.");
                while (s.Receive(buffer) > 0)
                {
                }
                s.Dispose(); // the peer closed first; our close is the passive one, so no TIME_WAIT on our port
            }
            foreach (var s in outgoing)
            {
                s!.ReceiveTimeout = (int)Math.Max(1, Left().TotalMilliseconds);
                while (s.Receive(buffer) > 0)
                {
                }
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
        {
            throw new TimeoutException($"The other training processes did not finish the rendezvous on port {localPort} within {timeout}.", e);
        }
        finally
        {
            listener.Stop();
            foreach (var s in incoming)
                s.Dispose();
            foreach (var s in outgoing)
                s?.Dispose();
        }
    }

    private static TimeoutException Timeout(List<(string Host, int Port)> peers, Socket?[] outgoing, int accepted, TimeSpan timeout)
    {
        var missing = peers.Where((p, i) => outgoing[i] is null).Select(p => $"{p.Host}:{p.Port}").ToList();
        string what = missing.Count > 0
            ? $"could not connect to {string.Join(", ", missing)}"
            : $"only {accepted} of {peers.Count} peers connected to this process";
        return new TimeoutException(
            $"Distributed training could not start within {timeout}: {what}. Start the same training on every machine of the list, and check the ports and firewalls.");
    }
}
