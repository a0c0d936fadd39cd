using System.Collections;
using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetExt.Data;
using MLNetExt.Diagnostics;
using MLNetExt.Interop;
using MLNetExt.Numerics;
using MLNetExt.TorchSharp.Training;

namespace MLNetExt.TorchSharp.Pruning;

/// <summary>
/// Scores how hard each training example is with EL2N and GraNd (Paul, Ganguli and Dziugaite, "Deep Learning on a
/// Data Diet", NeurIPS 2021): trains <c>NumberOfRuns</c> small proxy classifiers for a few epochs and writes, for
/// each row, the L2 norm of its error vector (EL2N, ||softmax(f(x)) - onehot(y)||) and the L2 norm of the gradient of
/// its loss with respect to every proxy parameter (GraNd), each averaged over the runs. High scores mark examples that
/// matter for training, and, at the very top, likely mislabelled rows. Created by
/// <c>mlContext.Transforms.ScoreExampleDifficulty</c>.
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term>Learns from data</term><description>yes: R proxy classifiers (softmax regression or a ReLU MLP) on the labelled rows</description></item>
/// <item><term>Input</term><description>features: known-size vector of Single; label: Boolean (two classes), a key, or whole numbers 0..K-1</description></item>
/// <item><term>Output</term><description><c>EL2N</c> and <c>GraNd</c>: Single, NaN for a row whose label is missing</description></item>
/// <item><term>Normalization</term><description>built in: per-feature standardisation learned at fit time and saved with the model</description></item>
/// <item><term>Native dependency</term><description>libtorch to fit (add a backend package such as libtorch-cpu-linux-x64); scoring is plain C#</description></item>
/// <item><term>Deterministic</term><description>yes on the CPU given a seed and a thread count; independent of the order of the rows</description></item>
/// </list>
/// <para>Each run r trains a proxy from its own seed (initial weights and minibatch order) with MLNetExt's TorchSharp
/// loop (Adam, minibatches of rows, cross-entropy), for <c>NumberOfEpochs</c> epochs; EL2N uses the weights at the end
/// and GraNd those after <c>GraNdEpoch</c> epochs (0 = at initialisation). Scores are computed in evaluation mode on
/// the standardised features, one row at a time in closed form: GraNd sums, over the layers, ||delta||^2 (||h||^2 + 1)
/// for the layer's input h and the gradient delta of the loss at its output (no backward pass per row). A row's scores
/// therefore do not depend on which rows are scored with it; and because the proxies visit the rows in an order drawn
/// from the seed over a canonical order of their contents, the scores do not depend on the order of the rows
/// either. Binary labels get a softmax over two logits, so EL2N = sqrt(2) |p - y|.</para>
/// <para>On new data the transformer scores every row that has a label with the same proxies (a row whose label is
/// missing, a key value 0 or NaN, gets NaN), and passes data without the label column through unchanged, so a
/// pipeline that contains it still applies to unlabelled data. With <c>Options.Pruning</c> set, <c>Transform</c> of
/// the very <c>IDataView</c> the estimator was fitted on (as an <c>EstimatorChain</c> passes it on to the next
/// estimator) keeps only the selected rows; every other input, including the same rows loaded again, a reloaded model's
/// input and <c>PredictionEngine</c>, is scored and passed through whole: pruning applies to the training data only.</para>
/// <para>Caveats (Paul et al. 2021; Kirsch 2023, arXiv 2303.14753): GraNd at initialisation did not beat random pruning
/// in two independent re-implementations and correlates with the input norm; EL2N after a few epochs reproduces.
/// Keeping only the hardest rows collapses at high pruning rates (Zheng et al. 2023): use
/// <see cref="PruningStrategy.Stratified"/> or <see cref="PruningStrategy.Easiest"/> when little data is kept, and skip
/// the very hardest rows when labels are noisy. Which rows can be pruned depends on the data.</para>
/// <para>Reference: mansheej/data_diet (<c>data_diet/scores.py</c>): scores per run, averaged over runs.</para>
/// </remarks>
public sealed class ExampleDifficultyEstimator : IEstimator<ExampleDifficultyTransformer>
{
    internal const string ComponentName = "ScoreExampleDifficulty";

    private readonly IHostEnvironment _env;
    private readonly Options _options;
    private readonly int _seed;

    internal static class Defaults
    {
        public const string El2nColumnName = "EL2N";
        public const string GraNdColumnName = "GraNd";
        public const int NumberOfRuns = 5;
        public const int NumberOfEpochs = 10;
        public const int BatchSize = 128;
        public const double LearningRate = 1e-3;
        public static int[] HiddenLayerSizes => [64];
    }

    /// <summary>Options of <see cref="ExampleDifficultyEstimator"/>.</summary>
    public sealed class Options
    {
        /// <summary>The label: Boolean (two classes), a key (one class per key value), or whole numbers 0..K-1.</summary>
        /// <value>Default "Label". Every training row needs a label.</value>
        public string LabelColumnName = ColumnNames.Label;

        /// <summary>The features: a known-size vector of Single, finite in the training data.</summary>
        /// <value>Default "Features".</value>
        public string FeatureColumnName = ColumnNames.Features;

        /// <summary>The output column of EL2N (Single).</summary>
        /// <value>Default "EL2N".</value>
        public string El2nColumnName = Defaults.El2nColumnName;

        /// <summary>The output column of GraNd (Single).</summary>
        /// <value>Default "GraNd".</value>
        public string GraNdColumnName = Defaults.GraNdColumnName;

        /// <summary>The number of proxies (independent runs, each from its own seed) whose scores are averaged.</summary>
        /// <value>Range [1, 1000]. Default 5 (our choice: the spec allows 1-3 and recommends 10 when affordable; the
        /// pruning bench on letter-recognition shows the ranking settled at 5).</value>
        public int NumberOfRuns = Defaults.NumberOfRuns;

        /// <summary>Epochs each proxy is trained for; EL2N is computed after the last.</summary>
        /// <value>Range [1, inf). Default 10 (our choice: "a few epochs in", Paul et al. use epoch 20 of 200).</value>
        public int NumberOfEpochs = Defaults.NumberOfEpochs;

        /// <summary>The epoch after which GraNd is computed: 0 (at initialisation, the paper's setting) to NumberOfEpochs; null for NumberOfEpochs.</summary>
        /// <value>Range [0, NumberOfEpochs]. Default null: the same weights as EL2N (GraNd at initialisation was not
        /// reproduced; Kirsch 2023).</value>
        public int? GraNdEpoch;

        /// <summary>The proxies' hidden layer widths (ReLU after each); empty for softmax regression.</summary>
        /// <value>Each in [1, 1048576]. Default [64] (our choice).</value>
        public int[] HiddenLayerSizes = Defaults.HiddenLayerSizes;

        /// <summary>Rows per minibatch.</summary>
        /// <value>Range [1, inf). Default 128 (the reference scripts' batch size).</value>
        public int BatchSize = Defaults.BatchSize;

        /// <summary>The optimizer's learning rate.</summary>
        /// <value>Range (0, inf). Default 1e-3 (Adam's usual rate).</value>
        public double LearningRate = Defaults.LearningRate;

        /// <summary>The optimizer.</summary>
        /// <value>Default Adam.</value>
        public TorchOptimizer Optimizer = TorchOptimizer.Adam;

        /// <summary>Weight decay (L2 for Adam, decoupled for AdamW).</summary>
        /// <value>Range [0, inf). Default 0.</value>
        public double WeightDecay;

        /// <summary>Learn a per-feature standardisation at fit time and apply it before the proxies (the reference scores normalised inputs).</summary>
        /// <value>Default true.</value>
        public bool StandardizeFeatures = true;

        /// <summary>
        /// Prune the training data directly: when set, <c>Transform</c> of the data the estimator was fitted on keeps
        /// the rows this selection keeps (by <see cref="PruneByScoreOptions.ScoreColumnName"/>, which must be the EL2N
        /// or the GraNd output column; class balance reads this estimator's label, and
        /// <see cref="PruneByScoreOptions.LabelColumnName"/> is not used). Null: no rows are removed.
        /// </summary>
        /// <value>Default null.</value>
        public PruneByScoreOptions? Pruning;

        /// <summary>The device that trains the proxies: "cpu", "cuda" or "cuda:N". Scoring always runs in C# on the CPU.</summary>
        /// <value>Default "cpu".</value>
        public string Device = "cpu";

        /// <summary>libtorch's intra-op threads during Fit, and the threads that score the training rows; null leaves libtorch as it is and scores on every core.</summary>
        /// <value>Range [1, 1024] or null. Default null.</value>
        public int? NumberOfThreads;

        /// <summary>The seed of the proxies' initial weights, minibatch orders, and the random pruning strategies.</summary>
        /// <value>Default null: drawn once from the <c>MLContext</c> when the estimator is created.</value>
        public int? Seed;

        internal int ResolvedGraNdEpoch => GraNdEpoch ?? NumberOfEpochs;

        internal void Validate()
        {
            Guard.ColumnName(LabelColumnName, nameof(LabelColumnName));
            Guard.ColumnName(FeatureColumnName, nameof(FeatureColumnName));
            Guard.ColumnName(El2nColumnName, nameof(El2nColumnName));
            Guard.ColumnName(GraNdColumnName, nameof(GraNdColumnName));
            Guard.Option(El2nColumnName != GraNdColumnName, nameof(GraNdColumnName), $"must differ from El2nColumnName; both are '{El2nColumnName}'.");
            Guard.Option(NumberOfRuns >= 1 && NumberOfRuns <= 1000, nameof(NumberOfRuns), $"must be in [1, 1000]; got {NumberOfRuns}.");
            Guard.Option(NumberOfEpochs >= 1, nameof(NumberOfEpochs), $"must be >= 1; got {NumberOfEpochs}.");
            Guard.Option(GraNdEpoch is null || (GraNdEpoch >= 0 && GraNdEpoch <= NumberOfEpochs), nameof(GraNdEpoch),
                $"must be null or in [0, NumberOfEpochs = {NumberOfEpochs}]; got {GraNdEpoch}.");
            Guard.Option(HiddenLayerSizes is not null && HiddenLayerSizes.All(h => h >= 1 && h <= 1 << 20), nameof(HiddenLayerSizes),
                $"must hold sizes in [1, 1048576]; got [{string.Join(", ", HiddenLayerSizes ?? [])}].");
            Guard.Option(BatchSize >= 1, nameof(BatchSize), $"must be >= 1; got {BatchSize}.");
            Guard.Option(LearningRate > 0 && double.IsFinite(LearningRate), nameof(LearningRate), $"must be finite and > 0; got {LearningRate}.");
            Guard.Option(Enum.IsDefined(Optimizer), nameof(Optimizer), $"must be a TorchOptimizer value; got {(int)Optimizer}.");
            Guard.Option(WeightDecay >= 0 && double.IsFinite(WeightDecay), nameof(WeightDecay), $"must be finite and >= 0; got {WeightDecay}.");
            Guard.Option(TorchRuntime.IsValidDeviceName(Device), nameof(Device), $"must be \"cpu\", \"cuda\" or \"cuda:N\"; got \"{Device}\".");
            Guard.Option(NumberOfThreads is null || (NumberOfThreads >= 1 && NumberOfThreads <= 1024), nameof(NumberOfThreads), $"must be null or in [1, 1024]; got {NumberOfThreads}.");
            if (Pruning is not null)
            {
                Pruning.Validate();
                Guard.Option(Pruning.ScoreColumnName == El2nColumnName || Pruning.ScoreColumnName == GraNdColumnName, nameof(Pruning),
                    $"must select by the EL2N column '{El2nColumnName}' or the GraNd column '{GraNdColumnName}' (its ScoreColumnName); got '{Pruning.ScoreColumnName}'.");
            }
        }

        internal Options Clone()
        {
            var copy = (Options)MemberwiseClone();
            copy.HiddenLayerSizes = (int[])HiddenLayerSizes.Clone();
            copy.Pruning = Pruning?.Clone();
            return copy;
        }
    }

    internal ExampleDifficultyEstimator(IHostEnvironment env, Options options)
    {
        _env = Guard.NotNull(env, nameof(env));
        Guard.NotNull(options, nameof(options));
        _options = options.Clone();
        _options.Validate();
        _seed = SeedResolver.Resolve(env, _options.Seed, ComponentName);
    }

    /// <summary>The seed this estimator uses: Options.Seed, or the one drawn from the MLContext when it was created.</summary>
    public int Seed => _seed;

    /// <summary>Trains the proxies on <paramref name="input"/> and scores its rows.</summary>
    public ExampleDifficultyTransformer Fit(IDataView input)
    {
        Guard.NotNull(input, nameof(input));
        var o = _options;
        var labelKind = LabelBinding.KindOf(input.Schema, o.LabelColumnName);
        CheckFeatures(input.Schema);
        using var channel = new ComponentChannel(_env, ComponentName, "Fit");
        var reader = new DataViewColumnReader(input, ComponentName);
        var features = reader.AddVector(o.FeatureColumnName, "feature", ValueRule.Finite);
        var readLabels = ClassLabels.Add(reader, o.LabelColumnName);
        int n = reader.Read(channel);
        int d = features.Size;
        var labels = readLabels();
        int classCount = labelKind switch
        {
            LabelKind.Boolean => 2,
            LabelKind.Key => (int)((KeyDataViewType)input.Schema[o.LabelColumnName].Type).Count,
            _ => labels.Max() + 1,
        };
        if (classCount < 2)
        {
            throw new InvalidOperationException(
                $"Label column '{o.LabelColumnName}' holds only class {labels[0]} in all {n} rows and declares no other class; {ComponentName} needs " +
                "at least two classes (a key type with two or more values, Boolean, or class indices 0 and 1).");
        }
        if (d == 0)
            throw SchemaChecks.Mismatch("feature", o.FeatureColumnName, "a vector of at least one Single", input.Schema[o.FeatureColumnName].Type);

        // The proxies train on the rows in a canonical order of their contents, so the order of the input rows does not matter.
        var order = ProxyTraining.CanonicalOrder(features.Values, d, labels);
        var rows = new float[(long)n * d];
        var rowLabels = new int[n];
        for (int i = 0; i < n; i++)
        {
            features.Values.AsSpan(order[i] * d, d).CopyTo(rows.AsSpan(i * d, d));
            rowLabels[i] = labels[order[i]];
        }
        var standardizer = o.StandardizeFeatures ? FeatureStandardizer.Fit(rows, d) : FeatureStandardizer.Identity(d);
        standardizer.Apply(rows);

        var clock = Stopwatch.StartNew();
        TorchRuntime.EnsureLoaded();
        var loop = new TorchLoopSettings
        {
            NumberOfEpochs = o.NumberOfEpochs,
            BatchSize = o.BatchSize,
            LearningRate = o.LearningRate,
            Optimizer = o.Optimizer,
            WeightDecay = o.WeightDecay,
            Seed = ProxyTraining.RunSeed(_seed, 0),
        };
        int graNdEpoch = o.ResolvedGraNdEpoch;
        var el2nWeights = new ModuleWeights[o.NumberOfRuns];
        var graNdWeights = new ModuleWeights[o.NumberOfRuns];
        using (TorchRuntime.ThreadScope(o.NumberOfThreads))
        {
            for (int r = 0; r < o.NumberOfRuns; r++)
            {
                channel.ThrowIfCanceled();
                var captured = ProxyTraining.Train(rows, d, rowLabels, classCount,
                    new ProxySettings(o.HiddenLayerSizes, o.Device, loop with { Seed = ProxyTraining.RunSeed(_seed, r) }), [graNdEpoch, o.NumberOfEpochs], channel);
                el2nWeights[r] = captured[o.NumberOfEpochs];
                graNdWeights[r] = captured[graNdEpoch];
            }
        }
        double trainSeconds = clock.Elapsed.TotalSeconds;
        var model = new ExampleDifficultyModelParameters(d, classCount, (int[])o.HiddenLayerSizes.Clone(), o.NumberOfEpochs, graNdEpoch,
            standardizer, el2nWeights, graNdWeights);

        clock.Restart();
        var el2n = new float[n];
        var graNd = new float[n];
        ScoreRows(model, rows, rowLabels, order, el2n, graNd, o.NumberOfThreads, channel);
        channel.Info($"Trained {o.NumberOfRuns} proxies x {o.NumberOfEpochs} epochs on {n} rows ({trainSeconds:0.##} s) and scored the rows " +
            $"({clock.Elapsed.TotalSeconds:0.##} s): mean EL2N {el2n.Average():G4}, mean GraNd {graNd.Average():G4}.");

        BitArray? selection = null;
        if (o.Pruning is { } pruning)
        {
            var scores = pruning.ScoreColumnName == o.El2nColumnName ? el2n : graNd;
            selection = ScoreSelection.Select(Array.ConvertAll(scores, s => (double)s), pruning.ClassBalanced ? labels : null,
                ScoreSelection.Settings.From(pruning, pruning.Seed ?? _seed));
            channel.Info($"Pruning keeps {ScoreSelection.Count(selection)} of {n} training rows by {pruning.ScoreColumnName} ({pruning.Strategy}).");
        }
        var classNames = LabelBinding.ClassNames(input.Schema[o.LabelColumnName], labelKind, classCount);
        return new ExampleDifficultyTransformer(model, o.LabelColumnName, o.FeatureColumnName, o.El2nColumnName, o.GraNdColumnName, labelKind,
            classNames, new ExampleDifficultyTrainingResult(el2n, graNd, selection, input));
    }

    /// <summary>Scores the standardised canonical rows in parallel (each row on its own, so the thread count changes nothing).</summary>
    private static void ScoreRows(ExampleDifficultyModelParameters model, float[] rows, int[] labels, int[] order, float[] el2n, float[] graNd,
        int? threads, ComponentChannel channel)
    {
        int n = labels.Length, d = model.FeatureCount;
        const int Chunk = 512;
        int chunks = (n + Chunk - 1) / Chunk;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = threads ?? Environment.ProcessorCount };
        Parallel.For(0, chunks, parallel, () => model.CreateWorkspace(), (chunk, _, ws) =>
        {
            channel.ThrowIfCanceled();
            int end = Math.Min(n, (chunk + 1) * Chunk);
            for (int i = chunk * Chunk; i < end; i++)
            {
                var (e, g) = model.ScoreStandardized(rows.AsSpan(i * d, d), labels[i], ws);
                el2n[order[i]] = (float)e;
                graNd[order[i]] = (float)g;
            }
            return ws;
        }, _ => { });
    }

    private void CheckFeatures(DataViewSchema schema)
    {
        var features = SchemaChecks.Find(schema, _options.FeatureColumnName, "feature");
        if (features.Type is not VectorDataViewType { IsKnownSize: true } vector || vector.ItemType != NumberDataViewType.Single)
            throw SchemaChecks.Mismatch("feature", _options.FeatureColumnName, "a known-size vector of Single", features.Type);
    }

    /// <summary>The input columns plus EL2N and GraNd (Single); checks the feature and label columns.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        Guard.NotNull(inputSchema, nameof(inputSchema));
        var o = _options;
        var features = SchemaChecks.Find(inputSchema, o.FeatureColumnName, "feature");
        if (features.Kind != SchemaShape.Column.VectorKind.Vector || features.ItemType != NumberDataViewType.Single || features.IsKey)
            throw SchemaChecks.Mismatch("feature", o.FeatureColumnName, "a known-size vector of Single", SchemaChecks.Describe(features));
        var label = SchemaChecks.Find(inputSchema, o.LabelColumnName, "label");
        if (label.Kind != SchemaShape.Column.VectorKind.Scalar || !(label.IsKey || label.ItemType is BooleanDataViewType || label.ItemType is NumberDataViewType))
            throw SchemaChecks.Mismatch("label", o.LabelColumnName, LabelBinding.Expected, SchemaChecks.Describe(label));
        var outputs = new[]
        {
            MLNetBridge.MakeColumn(o.El2nColumnName, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, false),
            MLNetBridge.MakeColumn(o.GraNdColumnName, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, false),
        };
        return new SchemaShape(inputSchema.Where(c => c.Name != o.El2nColumnName && c.Name != o.GraNdColumnName).Concat(outputs));
    }
}
