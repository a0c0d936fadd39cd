using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetExt.Data;
using MLNetExt.Interop;
using MLNetExt.Training;

namespace MLNetExt.TorchSharp.LabelProportions;

/// <summary>Column checks both label-proportion trainers make.</summary>
internal static class BagColumnChecks
{
    public static void Check(SchemaShape input, LabelProportionsTrainerOptionsBase o, bool binary)
    {
        var id = SchemaChecks.Find(input, o.BagIdColumnName, "bag id");
        if (id.Kind != SchemaShape.Column.VectorKind.Scalar || !(id.IsKey || id.ItemType is NumberDataViewType || id.ItemType is TextDataViewType))
            throw SchemaChecks.Mismatch("bag id", o.BagIdColumnName, "a key type, whole numbers or text", SchemaChecks.Describe(id));
        if (o.ExperimentalProportionsFromInstanceLabels)
            return;
        var proportion = SchemaChecks.Find(input, o.BagProportionColumnName, "bag proportion");
        bool numeric = !proportion.IsKey && (proportion.ItemType == NumberDataViewType.Single || proportion.ItemType == NumberDataViewType.Double);
        if (binary && (proportion.Kind != SchemaShape.Column.VectorKind.Scalar || !(proportion.ItemType is NumberDataViewType && !proportion.IsKey)))
            throw SchemaChecks.Mismatch("bag proportion", o.BagProportionColumnName, "Single (the bag's fraction of positive rows)", SchemaChecks.Describe(proportion));
        if (!binary && (proportion.Kind != SchemaShape.Column.VectorKind.Vector || !numeric))
            throw SchemaChecks.Mismatch("bag proportion", o.BagProportionColumnName, "a known-size vector of Single (one proportion per class)", SchemaChecks.Describe(proportion));
    }

    public static void Check(DataViewSchema schema, LabelProportionsTrainerOptionsBase o, bool binary, string which)
    {
        var id = SchemaChecks.Find(schema, o.BagIdColumnName, "bag id");
        if (id.Type is not (KeyDataViewType or TextDataViewType) && !SchemaChecks.IsNumericScalar(id.Type))
            throw SchemaChecks.Mismatch("bag id", o.BagIdColumnName, $"a key type, whole numbers or text in the {which} data", id.Type);
        if (o.ExperimentalProportionsFromInstanceLabels)
            return;
        var proportion = SchemaChecks.Find(schema, o.BagProportionColumnName, "bag proportion");
        if (binary && !SchemaChecks.IsNumericScalar(proportion.Type))
            throw SchemaChecks.Mismatch("bag proportion", o.BagProportionColumnName, $"Single (the bag's fraction of positive rows) in the {which} data", proportion.Type);
        if (!binary && !(proportion.Type is VectorDataViewType { IsKnownSize: true, Size: >= 2 } v
            && (v.ItemType == NumberDataViewType.Single || v.ItemType == NumberDataViewType.Double)))
        {
            throw SchemaChecks.Mismatch("bag proportion", o.BagProportionColumnName,
                $"a known-size vector of at least 2 Single values (one proportion per class) in the {which} data", proportion.Type);
        }
    }
}

/// <summary>
/// Trains a binary instance classifier from bag label proportions (learning from label proportions, LLP): each row
/// belongs to a bag, and only the bag's fraction of positive rows is known. Losses DLLP, EasyLLP, bag-level and
/// instance-level squared error, and the interpolating estimator; a linear model or an MLP, trained with TorchSharp
/// over minibatches of whole bags. Created by <c>mlContext.BinaryClassification.Trainers.LabelProportions</c>.
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term>Task</term><description>Binary classification; input: Features, a bag id (key, whole numbers or text) and a bag proportion (Single in [0, 1], the same on every row of a bag; bags need not be contiguous)</description></item>
/// <item><term>Output</term><description>Score (logit), Probability, PredictedLabel (Score &gt; 0), as ML.NET's binary trainers</description></item>
/// <item><term>Normalization</term><description>built in: per-feature standardisation learned at fit time and saved with the model</description></item>
/// <item><term>Native dependency</term><description>libtorch to train (add a backend package such as libtorch-cpu-linux-x64); none to load and score</description></item>
/// <item><term>Deterministic</term><description>yes on the CPU given a seed and a thread count (initial weights, bag order and held-out bags from the seed)</description></item>
/// </list>
/// Each epoch visits the training bags in an order drawn from the seed, in minibatches of whole bags holding at most
/// <c>MaximumBatchRows</c> rows; the minibatch loss is the mean over its bags of the chosen bag loss (spec §2.5).
/// With held-out bags (validation data, or <c>ValidationBagFraction</c> of the training bags), training stops after
/// <c>EarlyStoppingPatience</c> epochs without a lower held-out proportion loss and keeps the best epoch. A loss that
/// becomes NaN or infinite stops training with an error naming the epoch; EasyLLP's log loss, unbounded below when
/// soft labels are negative, is clamped at <c>-log(q + 1e-8)</c> as in the reference code. References: Ardehaly and
/// Culotta 2017 (DLLP); Busa-Fekete et al., NeurIPS 2023 (EasyLLP); Javanmard et al., ICLR 2024 (bag-level,
/// instance-level and interpolating losses); docs/specs/shift_llp_pruning_calibration.md §2.
/// </remarks>
public sealed class LabelProportionsBinaryTrainer
    : TrainerBase<BinaryClassificationModelTransformer<LabelProportionsModelParameters>, LabelProportionsModelParameters>
{
    internal const string ComponentName = "LabelProportionsBinary";

    /// <summary>Options of <see cref="LabelProportionsBinaryTrainer"/>.</summary>
    public sealed class Options : LabelProportionsTrainerOptionsBase
    {
        /// <summary>The class prior P(true) that EasyLLP's soft labels use; null estimates it from the bags.</summary>
        /// <value>Range [0, 1] or null. Default null: the bag-size-weighted mean of the training proportions (unbiased for random bags, spec §2.2).</value>
        public double? Prior;

        internal override void Validate()
        {
            base.Validate();
            Guard.Option(Prior is null || (Prior >= 0 && Prior <= 1), nameof(Prior), $"must be null or in [0, 1]; got {Prior}.");
        }
    }

    internal LabelProportionsBinaryTrainer(IHostEnvironment env, Options options)
        : base(env, options, ComponentName, PredictionTask.BinaryClassification)
    {
    }

    private Options Settings => (Options)TrainerOptions;

    private protected override bool ReadsLabel => Settings.ExperimentalProportionsFromInstanceLabels;

    private protected override void CheckOtherColumns(SchemaShape inputSchema) => BagColumnChecks.Check(inputSchema, Settings, binary: true);

    private protected override void CheckOtherColumns(DataViewSchema schema, string which) => BagColumnChecks.Check(schema, Settings, binary: true, which);

    private protected override BinaryClassificationModelTransformer<LabelProportionsModelParameters> FitCore(TrainingContext context)
    {
        var o = Settings;
        var (model, _) = LabelProportionsFitting.Fit(context, o, binary: true, o.Prior is { } p ? [p] : null, ComponentName);
        return new BinaryClassificationModelTransformer<LabelProportionsModelParameters>(model, o.FeatureColumnName);
    }
}

/// <summary>
/// Trains a multiclass instance classifier from bag label proportions: each row belongs to a bag, and only the bag's
/// vector of class fractions is known. The losses, models and training of <see cref="LabelProportionsBinaryTrainer"/>,
/// with a softmax over K classes. Created by <c>mlContext.MulticlassClassification.Trainers.LabelProportions</c>.
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term>Task</term><description>Multiclass classification; input: Features, a bag id and a bag proportion (a known-size vector of K values in [0, 1] summing to 1, the same on every row of a bag)</description></item>
/// <item><term>Output</term><description>Score (K class probabilities) and PredictedLabel (a key with K values), as ML.NET's multiclass trainers</description></item>
/// <item><term>Class names</term><description>the proportion vector's slot names (text) when it has them, kept as the PredictedLabel's key values and the Score's slot names; in the experimental instance-label setting, the label's key values</description></item>
/// <item><term>Normalization</term><description>built in (standardisation saved with the model)</description></item>
/// <item><term>Native dependency</term><description>libtorch to train; none to load and score</description></item>
/// <item><term>Deterministic</term><description>yes on the CPU given a seed and a thread count</description></item>
/// </list>
/// Without class names (a proportion vector without slot names), PredictedLabel is a key of K values without key
/// values: class c (0-based slot of the proportion vector) is key c + 1, which is what <c>MapValueToKey</c> gives
/// labels 0 .. K - 1 sorted by value, so evaluate with labels keyed that way. See <see cref="LabelProportionsBinaryTrainer"/> for the losses.
/// </remarks>
public sealed class LabelProportionsMulticlassTrainer
    : TrainerBase<MulticlassClassificationModelTransformer<LabelProportionsModelParameters>, LabelProportionsModelParameters>
{
    internal const string ComponentName = "LabelProportionsMulticlass";

    /// <summary>Options of <see cref="LabelProportionsMulticlassTrainer"/>.</summary>
    public sealed class Options : LabelProportionsTrainerOptionsBase
    {
        /// <summary>The class prior (one probability per class, summing to 1) that EasyLLP's soft labels use; null estimates it.</summary>
        /// <value>Each in [0, 1], sum 1 within 1e-3; its length must be the number of classes. Default null: the
        /// bag-size-weighted mean of the training proportions.</value>
        public double[]? Prior;

        internal override void Validate()
        {
            base.Validate();
            Guard.Option(Prior is null || (Prior.Length >= 2 && Prior.All(p => p >= 0 && p <= 1) && Math.Abs(Prior.Sum() - 1) <= 1e-3), nameof(Prior),
                $"must be null or at least 2 probabilities summing to 1; got [{string.Join(", ", Prior ?? [])}].");
        }

        internal override TrainerOptionsBase Clone()
        {
            var copy = (Options)base.Clone();
            copy.Prior = (double[]?)Prior?.Clone();
            return copy;
        }
    }

    internal LabelProportionsMulticlassTrainer(IHostEnvironment env, Options options)
        : base(env, options, ComponentName, PredictionTask.MulticlassClassification)
    {
    }

    private Options Settings => (Options)TrainerOptions;

    private protected override bool ReadsLabel => Settings.ExperimentalProportionsFromInstanceLabels;

    private protected override void CheckOtherColumns(SchemaShape inputSchema) => BagColumnChecks.Check(inputSchema, Settings, binary: false);

    private protected override void CheckOtherColumns(DataViewSchema schema, string which) => BagColumnChecks.Check(schema, Settings, binary: false, which);

    private protected override IEnumerable<SchemaShape.Column> OutputShape(SchemaShape inputSchema, SchemaShape.Column label)
    {
        if (ReadsLabel)
            return OutputShape(label);
        // Class names from the proportion vector's slot names: the annotations a text-keyed label would give.
        var proportion = SchemaChecks.Find(inputSchema, Settings.BagProportionColumnName, "bag proportion");
        bool named = SchemaChecks.TryFind(proportion.Annotations, ScoreAnnotations.SlotNames, out var slots)
            && slots.Kind == SchemaShape.Column.VectorKind.Vector && slots.ItemType is TextDataViewType;
        var text = SchemaShape.Column.VectorKind.Vector;
        SchemaShape.Column[] scoreNames = named
            ? [MLNetBridge.MakeColumn(ScoreAnnotations.SlotNames, text, TextDataViewType.Instance, false),
               MLNetBridge.MakeColumn(ScoreAnnotations.TrainingLabelValues, text, TextDataViewType.Instance, false)]
            : [];
        SchemaShape.Column[] keyValues = named ? [MLNetBridge.MakeColumn(ScoreAnnotations.KeyValues, text, TextDataViewType.Instance, false)] : [];
        return
        [
            MLNetBridge.MakeColumn(ColumnNames.Score, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false,
                ScoreAnnotations.Shape(ScoreAnnotations.Score, scoreNames)),
            MLNetBridge.MakeColumn(ColumnNames.PredictedLabel, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.UInt32, true,
                ScoreAnnotations.Shape(ScoreAnnotations.PredictedLabel, keyValues)),
        ];
    }

    private protected override MulticlassClassificationModelTransformer<LabelProportionsModelParameters> FitCore(TrainingContext context)
    {
        var o = Settings;
        var (model, names) = LabelProportionsFitting.Fit(context, o, binary: false, o.Prior, ComponentName);
        var classNames = o.ExperimentalProportionsFromInstanceLabels
            ? LabelKeyValues.FromColumn(context.TrainData.Schema[o.LabelColumnName])
            : names is null ? null : LabelKeyValues.FromNames(names);
        return new MulticlassClassificationModelTransformer<LabelProportionsModelParameters>(model, o.FeatureColumnName, classNames);
    }
}
