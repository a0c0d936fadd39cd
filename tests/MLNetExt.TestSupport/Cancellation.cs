using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetExt.Tests.Support;

/// <summary>Cancels an MLContext as AutoML does (<c>MLContext.CancelExecution</c> is internal, so by reflection).</summary>
public static class Cancellation
{
    public static void Cancel(MLContext mlContext)
    {
        var method = typeof(MLContext).GetMethod("CancelExecution", BindingFlags.Instance | BindingFlags.NonPublic)
            ?? throw new MissingMethodException("MLContext.CancelExecution is gone; update the cancellation tests.");
        method.Invoke(mlContext, null);
    }
}

/// <summary>Passes its input through and calls an action when a cursor reaches a given row.</summary>
public sealed class CancelingDataView(IDataView input, long atRow, Action action) : IDataView
{
    public bool CanShuffle => false;

    public DataViewSchema Schema => input.Schema;

    public long? GetRowCount() => input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
        => new Cursor(input.GetRowCursor(columnsNeeded), atRow, action);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
        => [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor(DataViewRowCursor inner, long atRow, Action action) : DataViewRowCursor
    {
        public override DataViewSchema Schema => inner.Schema;

        public override long Position => inner.Position;

        public override long Batch => inner.Batch;

        public override bool MoveNext()
        {
            bool moved = inner.MoveNext();
            if (moved && inner.Position == atRow)
                action();
            return moved;
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() => inner.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) => inner.IsColumnActive(column);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => inner.GetGetter<TValue>(column);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
