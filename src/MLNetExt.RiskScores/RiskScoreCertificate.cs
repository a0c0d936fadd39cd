namespace MLNetExt.RiskScores;

/// <summary>How a certified search ended.</summary>
public enum CertificateStatus
{
    /// <summary>The gap reached the tolerance: the model is optimal (within it).</summary>
    Optimal,

    /// <summary>The time limit ended the search; the model is the best found and the bounds say how far from optimal it can be.</summary>
    TimeLimit,

    /// <summary>The search was canceled through the MLContext after a model was found.</summary>
    Canceled,
}

/// <summary>One point of a certified search's progress: the bounds at a moment.</summary>
/// <param name="Seconds">Seconds since the search started.</param>
/// <param name="LowerBound">The best proved lower bound on the optimal objective.</param>
/// <param name="UpperBound">The objective of the best model found.</param>
public readonly record struct BoundPoint(double Seconds, double LowerBound, double UpperBound);

/// <summary>
/// The proof that comes with a certified model: the objective of the returned model (<see cref="UpperBound"/>), a
/// proved lower bound on the best objective any model satisfying the constraints can reach, the relative gap
/// between them, how the search ended, and its effort. RiskSLIM's objective is the mean logistic loss plus C0 per
/// used feature; SLIM's is the error rate plus C0 per used feature plus C1 per point.
/// </summary>
public sealed class RiskScoreCertificate
{
    internal RiskScoreCertificate(string engine, CertificateStatus status, double lowerBound, double upperBound, double seconds,
        long nodes, int cuts, IReadOnlyList<BoundPoint> history)
    {
        Engine = engine;
        Status = status;
        LowerBound = lowerBound;
        UpperBound = upperBound;
        Seconds = seconds;
        Nodes = nodes;
        Cuts = cuts;
        History = history;
    }

    /// <summary>What proved the bounds ("LCPA branch-and-bound (GLOP)", "SCIP outer loop", "SLIM MIP (SCIP)").</summary>
    public string Engine { get; }

    /// <summary>How the search ended.</summary>
    public CertificateStatus Status { get; }

    /// <summary>A proved lower bound on the optimal objective.</summary>
    public double LowerBound { get; }

    /// <summary>The objective of the returned model.</summary>
    public double UpperBound { get; }

    /// <summary>(UpperBound - LowerBound) / UpperBound, 0 when the model is proved optimal.</summary>
    public double Gap => UpperBound <= 0 ? 0 : Math.Max(0, (UpperBound - LowerBound) / UpperBound);

    /// <summary>Wall-clock seconds of the search; NaN for a loaded model (time is not saved, so that the same data and
    /// seed save the same bytes).</summary>
    public double Seconds { get; }

    /// <summary>Branch-and-bound nodes (or master MIP rounds for the outer loop) processed.</summary>
    public long Nodes { get; }

    /// <summary>Loss cuts generated (0 for SLIM).</summary>
    public int Cuts { get; }

    /// <summary>The bounds over time (a point whenever either bound moved, and at the end); empty for a loaded model.</summary>
    public IReadOnlyList<BoundPoint> History { get; }

    /// <inheritdoc/>
    public override string ToString()
        => FormattableString.Invariant($"{Status}: objective {UpperBound:G10}, lower bound {LowerBound:G10}, gap {Gap:P4}, {Seconds:0.###} s, {Nodes} nodes, {Cuts} cuts ({Engine})");
}
