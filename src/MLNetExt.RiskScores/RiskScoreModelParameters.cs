using System.Globalization;
using System.Text;
using MLNetExt.Numerics;
using MLNetExt.Serialization;
using MLNetExt.Training;

namespace MLNetExt.RiskScores;

/// <summary>Which trainer made a score card.</summary>
public enum ScoreCardKind
{
    /// <summary>A risk score (<see cref="RiskScoreTrainer"/>): points, intercept and multiplier of a logistic model.</summary>
    RiskScore,

    /// <summary>A SLIM scoring system (<see cref="SlimTrainer"/>): points and intercept that minimise training errors.</summary>
    Slim,
}

/// <summary>How <see cref="RiskScoreModelParameters.ToScoreCard"/> renders a score card.</summary>
public enum ScoreCardFormat
{
    /// <summary>Two Markdown tables: the points, and total score to risk.</summary>
    Markdown,

    /// <summary>Fixed-width text, like the tables the FasterRisk and risk-slim READMEs print.</summary>
    PlainText,
}

/// <summary>One line of a score card: a used feature and its points.</summary>
/// <param name="Feature">The feature's slot name.</param>
/// <param name="Slot">The feature's index in the feature vector.</param>
/// <param name="Points">Points added per unit of the feature (per 1 for a binary feature).</param>
public readonly record struct ScoreCardItem(string Feature, int Slot, int Points);

/// <summary>A total score and the risk (probability of the positive class) it predicts.</summary>
/// <param name="Total">The sum of points times feature values, without the intercept (a whole number when the
/// features are).</param>
/// <param name="Risk">sigmoid((Intercept + Total) / Multiplier).</param>
public readonly record struct ScoreRisk(double Total, double Risk);

/// <summary>A model of a Fast-mode pool (FasterRisk's diverse pool after rounding), best training loss first.</summary>
/// <param name="Intercept">The integer intercept.</param>
/// <param name="SlotPoints">Points per feature slot.</param>
/// <param name="Multiplier">The multiplier: score = (Intercept + points . x) / Multiplier.</param>
/// <param name="TrainingLoss">The mean logistic loss of the score on the training rows.</param>
public sealed record RiskScoreCandidate(int Intercept, IReadOnlyList<int> SlotPoints, double Multiplier, double TrainingLoss);

/// <summary>
/// An integer score card: integer <see cref="Points"/> per used feature, an integer <see cref="Intercept"/>, and a
/// <see cref="Multiplier"/> m (1 for certified risk scores). The model's Score column is the logit
/// (Intercept + points . x) / m, so Score &gt; 0 exactly when the predicted risk sigmoid(Score) is above 0.5;
/// <see cref="RiskTable"/> lists the risk of every reachable total. Immutable; saved with the pipeline.
/// </summary>
public sealed class RiskScoreModelParameters : IVectorScorer, IPersistentSection<RiskScoreModelParameters>
{
    private readonly int[] _slotPoints;
    private readonly string[] _featureNames;
    private readonly ScoreCardItem[] _points;
    private readonly ScoreRisk[] _riskTable;
    private readonly RiskScoreCandidate[] _pool;

    internal RiskScoreModelParameters(ScoreCardKind kind, string[] featureNames, int[] slotPoints, int intercept, double multiplier,
        ScoreRisk[] riskTable, double trainingLoss, double objective, RiskScoreCertificate? certificate, RiskScoreCandidate[] pool)
    {
        Guard.Argument(featureNames.Length == slotPoints.Length, nameof(slotPoints), "One name per feature slot is needed.");
        Guard.Argument(double.IsFinite(multiplier) && multiplier > 0, nameof(multiplier), $"The multiplier must be finite and > 0; got {multiplier}.");
        Kind = kind;
        _featureNames = featureNames;
        _slotPoints = slotPoints;
        Intercept = intercept;
        Multiplier = multiplier;
        _riskTable = riskTable;
        TrainingLoss = trainingLoss;
        Objective = objective;
        Certificate = certificate;
        _pool = pool;
        _points = Enumerable.Range(0, slotPoints.Length).Where(j => slotPoints[j] != 0)
            .Select(j => new ScoreCardItem(featureNames[j], j, slotPoints[j])).ToArray();
    }

    /// <summary>Which trainer made the model.</summary>
    public ScoreCardKind Kind { get; }

    /// <summary>The used features and their points, in slot order.</summary>
    public IReadOnlyList<ScoreCardItem> Points => _points;

    /// <summary>Points of every feature slot (0 for unused features).</summary>
    public IReadOnlyList<int> SlotPoints => _slotPoints;

    /// <summary>The names of every feature slot.</summary>
    public IReadOnlyList<string> FeatureNames => _featureNames;

    /// <summary>The integer intercept (the score of a row whose features are all 0).</summary>
    public int Intercept { get; }

    /// <summary>
    /// The multiplier m: risk = sigmoid((Intercept + total) / m). FasterRisk's star-ray search picks it in Fast mode;
    /// it is 1 for certified risk scores; for SLIM it is fitted to the training rows after the points are chosen.
    /// </summary>
    public double Multiplier { get; }

    /// <summary>Every reachable total score (sum of points) with its predicted risk, ascending.</summary>
    public IReadOnlyList<ScoreRisk> RiskTable => _riskTable;

    /// <summary>The mean logistic loss of the Score column on the training rows (weighted by example weight).</summary>
    public double TrainingLoss { get; }

    /// <summary>The trainer's objective at this model (RiskSLIM: loss + C0 per used feature at m = 1; SLIM: error rate
    /// + C0 per used feature + C1 per point; FasterRisk: the mean loss of the scaled score).</summary>
    public double Objective { get; }

    /// <summary>Bounds, gap and status of a certified search (Certified mode and SLIM); null in Fast mode.</summary>
    public RiskScoreCertificate? Certificate { get; }

    /// <summary>Fast mode's pool of rounded models, best training loss first (the model itself is the first entry that
    /// satisfies the constraints); empty for other modes.</summary>
    public IReadOnlyList<RiskScoreCandidate> Pool => _pool;

    /// <summary>The predicted risk (probability of the positive class) of a total score.</summary>
    public double Risk(double total) => StableMath.Sigmoid((Intercept + total) / Multiplier);

    /// <summary>The Score column's value for a feature vector: (Intercept + points . x) / Multiplier.</summary>
    public double Score(ReadOnlySpan<float> features)
    {
        Guard.Argument(features.Length == _slotPoints.Length, nameof(features), $"The model has {_slotPoints.Length} features; got {features.Length} values.");
        return ScoreCore(features);
    }

    private double ScoreCore(ReadOnlySpan<float> features)
    {
        double total = 0;
        foreach (var item in _points)
            total += item.Points * (double)features[item.Slot];
        return (Intercept + total) / Multiplier;
    }

    /// <summary>The score card: the points of each used feature, then the risk of every reachable total.</summary>
    public string ToScoreCard(ScoreCardFormat format = ScoreCardFormat.Markdown)
        => format == ScoreCardFormat.Markdown ? Markdown() : PlainText();

    /// <inheritdoc/>
    public override string ToString() => ToScoreCard(ScoreCardFormat.PlainText);

    private static string Percent(double risk) => (100 * risk).ToString(risk < 0.001 || risk > 0.999 ? "0.00" : "0.0", CultureInfo.InvariantCulture) + "%";

    private static string PointsText(int points) => points == 1 || points == -1 ? $"{points} point" : $"{points} points";

    private string Markdown()
    {
        var s = new StringBuilder();
        s.Append("| # | Feature | Points |\n|---:|---|---:|\n");
        for (int t = 0; t < _points.Length; t++)
            s.Append(CultureInfo.InvariantCulture, $"| {t + 1} | {Escape(_points[t].Feature)} | {(t == 0 ? "" : "+ ")}{PointsText(_points[t].Points)} |\n");
        s.Append("| | **Total score** | **=** |\n\n");
        s.Append(CultureInfo.InvariantCulture, $"Risk = 1 / (1 + exp(-(total {(Intercept < 0 ? "-" : "+")} {Math.Abs(Intercept)}) / {Multiplier.ToString("0.####", CultureInfo.InvariantCulture)}))\n\n");
        foreach (var chunk in Chunks())
        {
            s.Append("| Total score |").AppendJoin("", chunk.Select(r => $" {Number(r.Total)} |")).Append('\n');
            s.Append("|---|").AppendJoin("", chunk.Select(_ => "---:|")).Append('\n');
            s.Append("| Risk |").AppendJoin("", chunk.Select(r => $" {Percent(r.Risk)} |")).Append("\n\n");
        }
        return s.ToString().TrimEnd() + "\n";
    }

    private string PlainText()
    {
        var s = new StringBuilder();
        int width = Math.Max(5, _points.Length == 0 ? 0 : _points.Max(p => p.Feature.Length));
        for (int t = 0; t < _points.Length; t++)
        {
            string line = $"{t + 1,2}. {_points[t].Feature.PadLeft(width)}  {PointsText(_points[t].Points),10} | {(t == 0 ? " " : "+")} ...";
            s.Append(line).Append('\n');
        }
        s.Append(new string(' ', width + 4)).Append("      TOTAL SCORE | =    \n");
        s.Append(CultureInfo.InvariantCulture, $"Intercept {Intercept}, multiplier {Multiplier.ToString("0.####", CultureInfo.InvariantCulture)}\n");
        foreach (var chunk in Chunks())
        {
            s.Append("SCORE |").AppendJoin("", chunk.Select(r => $" {Number(r.Total),6} |")).Append('\n');
            s.Append("RISK  |").AppendJoin("", chunk.Select(r => $" {Percent(r.Risk),6} |")).Append('\n');
        }
        return s.ToString();
    }

    private IEnumerable<ScoreRisk[]> Chunks()
    {
        const int perRow = 10;
        for (int start = 0; start < _riskTable.Length; start += perRow)
            yield return _riskTable.AsSpan(start, Math.Min(perRow, _riskTable.Length - start)).ToArray();
    }

    private static string Number(double total) => total.ToString("0.###", CultureInfo.InvariantCulture);

    private static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);

    // ------------------------------------------------------------------ IVectorScorer

    int IVectorScorer.FeatureCount => _slotPoints.Length;

    int IVectorScorer.OutputCount => 2;

    RowScorer IVectorScorer.CreateRowScorer() => new DenseRowScorer(_slotPoints.Length, (features, output) =>
    {
        double score = ScoreCore(features);
        output[0] = score;
        output[1] = StableMath.Sigmoid(score);
    });

    // ------------------------------------------------------------------ persistence

    // Version 1: kind, names, slot points, intercept, multiplier, losses, risk table, certificate (flag, engine, status,
    // bounds, nodes, cuts: not its time or history, so the same data and seed save the same bytes), pool.
    private static readonly ComponentFormat Format = new("MLNetExt.RiskScores.RiskScoreModel", 1);

    static ComponentFormat IPersistentSection<RiskScoreModelParameters>.Format => Format;

    ComponentFormat IPersistentSection.SectionFormat => Format;

    void IPersistentSection.Save(ModelStateWriter writer)
    {
        writer.WriteEnum(Kind);
        writer.Write(_featureNames);
        writer.Write(_slotPoints);
        writer.Write(Intercept);
        writer.Write(Multiplier);
        writer.Write(TrainingLoss);
        writer.Write(Objective);
        writer.Write(_riskTable.Select(r => r.Total).ToArray());
        writer.Write(_riskTable.Select(r => r.Risk).ToArray());
        writer.Write(Certificate is not null);
        if (Certificate is { } c)
        {
            writer.Write(c.Engine);
            writer.WriteEnum(c.Status);
            writer.Write(c.LowerBound);
            writer.Write(c.UpperBound);
            writer.Write(c.Nodes);
            writer.Write(c.Cuts);
        }
        writer.Write(_pool.Length);
        foreach (var candidate in _pool)
        {
            writer.Write(candidate.Intercept);
            writer.Write(candidate.SlotPoints.ToArray());
            writer.Write(candidate.Multiplier);
            writer.Write(candidate.TrainingLoss);
        }
    }

    static RiskScoreModelParameters IPersistentSection<RiskScoreModelParameters>.Load(ModelStateReader reader)
    {
        var kind = reader.ReadEnum<ScoreCardKind>("the score card kind");
        var names = reader.ReadStringArray("the feature names");
        var points = reader.ReadInt32Array("the points");
        reader.Check(names.Length == points.Length && points.Length > 0, $"there are {names.Length} feature names and {points.Length} points");
        int intercept = reader.ReadInt32();
        double multiplier = reader.ReadFiniteDouble("the multiplier");
        reader.Check(multiplier > 0, $"the multiplier is {multiplier}");
        double loss = reader.ReadDouble();
        double objective = reader.ReadDouble();
        var totals = reader.ReadDoubleArray("the risk table totals");
        var risks = reader.ReadDoubleArray("the risk table risks");
        reader.Check(totals.Length == risks.Length, $"the risk table has {totals.Length} totals and {risks.Length} risks");
        for (int t = 0; t < risks.Length; t++)
            reader.Check(risks[t] >= 0 && risks[t] <= 1 && (t == 0 || totals[t] > totals[t - 1]), $"risk table entry {t} is ({totals[t]}, {risks[t]})");
        RiskScoreCertificate? certificate = null;
        if (reader.ReadBoolean())
        {
            string engine = reader.ReadNonEmptyString("the certificate's engine");
            var status = reader.ReadEnum<CertificateStatus>("the certificate's status");
            double lower = reader.ReadDouble(), upper = reader.ReadDouble();
            reader.Check(lower <= upper, $"the certificate's lower bound {lower} is above its upper bound {upper}");
            long nodes = reader.ReadInt64("the node count", 0, long.MaxValue);
            int cuts = reader.ReadInt32("the cut count", 0, int.MaxValue);
            certificate = new RiskScoreCertificate(engine, status, lower, upper, double.NaN, nodes, cuts, []);
        }
        int poolSize = reader.ReadInt32("the pool size", 0, 1_000_000);
        var pool = new RiskScoreCandidate[poolSize];
        for (int m = 0; m < poolSize; m++)
        {
            int b0 = reader.ReadInt32();
            var p = reader.ReadInt32Array("a pool model's points");
            reader.Check(p.Length == points.Length, $"pool model {m} has {p.Length} points for {points.Length} features");
            double pm = reader.ReadFiniteDouble("a pool model's multiplier");
            reader.Check(pm > 0, $"pool model {m} has multiplier {pm}");
            pool[m] = new RiskScoreCandidate(b0, p, pm, reader.ReadDouble());
        }
        return new RiskScoreModelParameters(kind, names, points, intercept, multiplier,
            Enumerable.Range(0, totals.Length).Select(t => new ScoreRisk(totals[t], risks[t])).ToArray(), loss, objective, certificate, pool);
    }
}
