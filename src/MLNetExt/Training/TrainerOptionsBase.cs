namespace MLNetExt.Training;

/// <summary>The column names and seed every MLNetExt trainer takes (ML.NET's names and defaults).</summary>
public abstract class TrainerOptionsBase
{
    private protected TrainerOptionsBase()
    {
    }

    /// <summary>The label column.</summary>
    /// <value>Default "Label". Its type depends on the task: Boolean (binary), a key (multiclass), Single grades or a
    /// key (ranking).</value>
    public string LabelColumnName = ColumnNames.Label;

    /// <summary>The feature column: a known-size vector of Single (dense or sparse).</summary>
    /// <value>Default "Features".</value>
    public string FeatureColumnName = ColumnNames.Features;

    /// <summary>An optional column of example weights (Single or Double, finite and &gt;= 0); null for none.</summary>
    /// <value>Default null: every example has weight 1. A weight of 0 has the same effect as leaving the row out.</value>
    public string? ExampleWeightColumnName;

    /// <summary>The seed of every random choice the trainer makes.</summary>
    /// <value>Default null: a seed drawn once, when the trainer is created, from the <c>MLContext</c>'s generator, so
    /// <c>new MLContext(seed: 1)</c> gives the same model every run and every fit.</value>
    public int? Seed;

    /// <summary>Checks every option; throws <see cref="ArgumentOutOfRangeException"/> naming the first bad one.</summary>
    internal virtual void Validate()
    {
        Guard.ColumnName(LabelColumnName, nameof(LabelColumnName));
        Guard.ColumnName(FeatureColumnName, nameof(FeatureColumnName));
        Guard.Option(ExampleWeightColumnName is null || !string.IsNullOrWhiteSpace(ExampleWeightColumnName),
            nameof(ExampleWeightColumnName), "must be null or a non-empty column name.");
    }

    /// <summary>
    /// A copy taken when the trainer is created, so that changing the options object afterwards cannot change (or
    /// skip the validation of) a trainer that exists. Options holding arrays override this to copy them.
    /// </summary>
    internal virtual TrainerOptionsBase Clone() => (TrainerOptionsBase)MemberwiseClone();
}

/// <summary>The options every MLNetExt ranking trainer takes: those of <see cref="TrainerOptionsBase"/> and the group column.</summary>
public abstract class RankingTrainerOptionsBase : TrainerOptionsBase
{
    private protected RankingTrainerOptionsBase()
    {
    }

    /// <summary>The query (group) column: a key or whole numbers; the rows of one query must be contiguous.</summary>
    /// <value>Default "GroupId".</value>
    public string RowGroupColumnName = ColumnNames.GroupId;

    internal override void Validate()
    {
        base.Validate();
        Guard.ColumnName(RowGroupColumnName, nameof(RowGroupColumnName));
    }
}
