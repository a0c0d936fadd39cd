using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.Optimization;
using Microsoft.ML;
using MLNetExt.Calibration;
using MLNetExt.Calibration.Fitting;
using MLNetExt.Tests.Support;

namespace MLNetExt.Tests.Calibration;

/// <summary>Vector scaling, the per-class option of <see cref="TemperatureScalingEstimator"/>.</summary>
[TestClass]
public sealed class VectorScalingTests
{
    [TestMethod]
    public void VectorScaling_EqualsIndependentMinimisation_OnHandSizedCase()
    {
        // Sixty rows of three-class logits with noisy labels (a fixed generator; not separable, so the optimum is
        // finite). MathNet's BFGS minimizes the same NLL over (w0, w1, w2, b1, b2) from w = 1, b = 0, with a gradient
        // written independently here.
        var random = new Random(5);
        var z = new double[60 * 3];
        var y = new int[60];
        for (int i = 0; i < 60; i++)
        {
            y[i] = random.Next(3);
            for (int c = 0; c < 3; c++)
                z[i * 3 + c] = random.NextDouble() * 2 - 1 + (c == y[i] ? 1.5 * (c + 1) / 3 : 0) + (random.NextDouble() < 0.2 ? 2 : 0);
        }
        var fit = VectorScalingFitter.Fit(z, 3, y, inverseTemperature: 1);
        Assert.IsTrue(fit.Converged);
        var independent = Independent(z, 3, y);
        for (int k = 0; k < 3; k++)
        {
            Assert.AreEqual(independent[k], fit.Weights[k], 1e-5, $"w{k}");
            Assert.AreEqual(k == 0 ? 0 : independent[2 + k], fit.Biases[k], 1e-5, $"b{k}");
        }
        Assert.IsTrue(fit.LogLossAfter <= TemperatureFitter.FitMulticlass(z, 3, y).LogLossAfter + 1e-12,
            "vector scaling starts from the temperature solution and can only improve on it");
    }

    [TestMethod]
    public void VectorScaling_Cifar10_ImprovesOnUncalibrated_AndPassesConformance()
    {
        var mlContext = new MLContext(seed: 1);
        var data = TestData.LoadCifar(mlContext, TestData.LeNet);
        var fitRows = mlContext.Data.TakeRows(data, 5000);
        var testRows = mlContext.Data.SkipRows(data, 5000);
        var estimator = mlContext.MulticlassClassification.TemperatureScaling(new TemperatureScalingEstimator.Options
        {
            Method = TemperatureScalingMethod.VectorScaling,
        });
        var transformer = estimator.Fit(fitRows);
        Assert.AreEqual(TemperatureScalingMethod.VectorScaling, transformer.Method);
        Assert.IsTrue(double.IsNaN(transformer.Temperature));
        Assert.AreEqual(0, transformer.Biases[0]);
        var before = mlContext.MulticlassClassification.EvaluateCalibration(testRows);
        var after = mlContext.MulticlassClassification.EvaluateCalibration(transformer.Transform(testRows));
        Assert.IsTrue(after.ExpectedCalibrationError < before.ExpectedCalibrationError / 2,
            $"ECE {before.ExpectedCalibrationError} -> {after.ExpectedCalibrationError}");
        Assert.IsTrue(after.LogLoss < before.LogLoss);
        var options = new TemperatureScalingEstimator.Options { Method = TemperatureScalingMethod.VectorScaling };
        Conformance.Check(new ConformanceCase
        {
            Name = "VectorScaling",
            Estimator = ml => ml.MulticlassClassification.TemperatureScaling(options),
            FitData = ml => ml.Data.TakeRows(TestData.LoadCifar(ml, TestData.LeNet), 3000),
            ApplyData = ml => ml.Data.SkipRows(TestData.LoadCifar(ml, TestData.LeNet), 9000),
            OutputColumns = ["Score"],
            InputColumns = new Dictionary<string, InvalidValueBehavior> { ["Score"] = InvalidValueBehavior.Throws },
            WeightedEstimator = (ml, weightColumn) => ml.MulticlassClassification.TemperatureScaling(new TemperatureScalingEstimator.Options
            {
                Method = TemperatureScalingMethod.VectorScaling,
                ExampleWeightColumnName = weightColumn,
            }),
            EstimatorWithOptions = ml => (ml.MulticlassClassification.TemperatureScaling(options), options),
            Skip = new Dictionary<string, string>
            {
                ["OneRow"] = "one row has one class; refused naming the label column (TemperatureScalingTests)",
            },
        });
    }

    private static double[] Independent(double[] z, int k, int[] y)
    {
        var objective = ObjectiveFunction.Gradient(theta =>
        {
            var w = new double[k];
            var b = new double[k];
            for (int c = 0; c < k; c++)
                w[c] = theta[c];
            for (int c = 1; c < k; c++)
                b[c] = theta[k + c - 1];
            double f = 0;
            var g = Vector<double>.Build.Dense(2 * k - 1);
            for (int i = 0; i < y.Length; i++)
            {
                var u = Enumerable.Range(0, k).Select(c => w[c] * z[i * k + c] + b[c]).ToArray();
                double max = u.Max();
                double s = u.Sum(v => Math.Exp(v - max));
                f += max + Math.Log(s) - u[y[i]];
                for (int c = 0; c < k; c++)
                {
                    double residual = Math.Exp(u[c] - max) / s - (c == y[i] ? 1 : 0);
                    g[c] += residual * z[i * k + c];
                    if (c > 0)
                        g[k + c - 1] += residual;
                }
            }
            return (f, g);
        });
        var start = Vector<double>.Build.Dense(2 * k - 1, i => i < k ? 1 : 0);
        return new BfgsMinimizer(1e-12, 1e-14, 1e-16, 10_000).FindMinimum(objective, start).MinimizingPoint.ToArray();
    }
}
