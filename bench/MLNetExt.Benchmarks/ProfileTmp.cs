using System.Diagnostics;
using Microsoft.ML;
using MLNetExt.Calibration;
using MLNetExt.Calibration.Kernels;
namespace MLNetExt.Benchmarks;
internal static class ProfileTmp
{
    static TimeSpan _last = Process.GetCurrentProcess().TotalProcessorTime;
    static void Lap(string what, Stopwatch sw) { var now = Process.GetCurrentProcess().TotalProcessorTime; Console.Write($"{what}{sw.ElapsedMilliseconds}/{(now - _last).TotalMilliseconds:0} "); _last = now; sw.Restart(); }
    public static void Run()
    {
        var (labels, scores, probabilities) = Synthetic.BinaryPredictions(10_000_000);
        var store = new PredictionStore<float, float>(false);
        for (int s = 0; s < Segments.Count(labels.Length); s++)
        {
            var (start, len) = Segments.Range(s, labels.Length);
            var bits = PredictionStore<float, float>.NewBits();
            for (int i = 0; i < len; i++) if (labels[start + i]) bits[i >> 6] |= 1UL << (i & 63);
            store.Add(probabilities.AsSpan(start, len).ToArray(), bits, null, len);
        }
        store.PositiveRows = labels.Length; store.TotalWeight = labels.Length;
        var ew = CalibrationBinning.EqualWidth(15);
        var ml = new MLContext(1);
        var view = new ArrayDataView(labels, scores, probabilities);
        var cached = ml.Data.Cache(view, "Label", "Probability");
        EceSuite.CursorPass(cached);
        for (int r = 0; r < 4; r++)
        {
            var sw = Stopwatch.StartNew(); _last = Process.GetCurrentProcess().TotalProcessorTime;
            Computations.Reliability(store, ew, new PositiveClass(), null, "p"); Lap("rel ", sw);
            Computations.Reliability(store, ew, new BinaryTopLabelMap(false), null, "p"); Lap("top ", sw);
            double ll = 0;
            for (int s = 0; s < store.SegmentCount; s++) { ll += ScalarKernels.BinaryLogLoss<float,float>(store.Confidences(s), store.Outcomes(s), default); }
            Lap("logloss ", sw);
            var part = new double[2002];
            for (int s = 0; s < store.SegmentCount; s++) { SmoothCalibrationErrorCore.Spread<float,float>(store.Confidences(s), store.Outcomes(s), default, 1001, part); }
            Lap("spread ", sw);
            var tc = new int[65536];
            for (int s = 0; s < store.SegmentCount; s++) { RankSelector.CountTopDigits<float,float>(store.Confidences(s), default, tc); }
            Lap("topcount ", sw);
            CalibrationMetrics.ExpectedCalibrationError(probabilities, labels); Lap("spanece ", sw);
            var em = Computations.EqualMass(store, 15, EqualMassBinning.Midpoint, null, tc); Lap("emedges ", sw);
            Computations.Reliability(store, em, new PositiveClass(), null, "p"); Lap("emrel ", sw);
            Computations.Smooth(store, null, null, part); Lap("smoothpost ", sw);
            EceSuite.CursorPass(view); Lap("bare ", sw);
            EceSuite.CursorPass(cached); Lap("barecached ", sw);
            ml.BinaryClassification.EvaluateCalibration(cached); Lap("EVALcached ", sw);
            using (var ch = new MLNetExt.Diagnostics.ComponentChannel(ml, "x", "y"))
            {
                var spec = new MLNetExt.Calibration.Reading.ReadSpec("x", "Probability", "probability", null, "Label", MLNetExt.Calibration.Reading.LabelKind.Boolean, null);
                MLNetExt.Calibration.Reading.SegmentReader<float, float>.Read(view, spec, ch, seg => true); Lap("readrecycle ", sw);
                MLNetExt.Calibration.Reading.SegmentReader<float, float>.Read(view, spec, ch, seg => false); Lap("readalloc ", sw);
            }
            int g0 = GC.CollectionCount(0), g1 = GC.CollectionCount(1), g2 = GC.CollectionCount(2);
            var keep = new List<float[]>();
            for (int s = 0; s < 153; s++) { var a = GC.AllocateUninitializedArray<float>(65536); for (int i = 0; i < a.Length; i++) a[i] = i; keep.Add(a); }
            Lap($"alloc40MB(gc {GC.CollectionCount(0)-g0}/{GC.CollectionCount(1)-g1}/{GC.CollectionCount(2)-g2}) ", sw);
            keep = null;
            g0 = GC.CollectionCount(0); g1 = GC.CollectionCount(1); g2 = GC.CollectionCount(2);
            ml.BinaryClassification.EvaluateCalibration(view); Lap($"EVAL(gc {GC.CollectionCount(0)-g0}/{GC.CollectionCount(1)-g1}/{GC.CollectionCount(2)-g2}) ", sw);
            Console.WriteLine();
        }
    }
}
