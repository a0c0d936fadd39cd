namespace MLNetExt;

/// <summary>ML.NET's default column names (its own <c>DefaultColumnNames</c> is internal).</summary>
internal static class ColumnNames
{
    public const string Label = "Label";
    public const string Features = "Features";
    public const string GroupId = "GroupId";
    public const string Weight = "Weight";
    public const string Score = "Score";
    public const string Probability = "Probability";
    public const string PredictedLabel = "PredictedLabel";
}
