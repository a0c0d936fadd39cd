using MLNetExt.TorchSharp.Pruning;
using MLNetExt.TorchSharp.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.TorchSharp.Tests.Pruning;

/// <summary>EL2N and GraNd of the closed-form kernel against the formulas by hand and against autograd per example.</summary>
[TestClass]
public sealed class DifficultyFormulaTests
{
    private static (double El2n, double GraNd) Score(ProxyNetwork network, float[] x, int label)
    {
        var ws = new DifficultyWorkspace(network.Sizes);
        network.Forward(x, ws);
        return (ProxyNetwork.El2n(ws, label), network.GraNd(ws, label));
    }

    [TestMethod]
    public void SoftmaxRegression_SpecOracleO14()
    {
        // Spec oracle O14: zero weights and biases ln(0.7, 0.2, 0.1) give p = (0.7, 0.2, 0.1) for any x; label 0:
        // EL2N = sqrt(0.3^2 + 0.2^2 + 0.1^2) = sqrt(0.14) = 0.374166; with x = (1, 2), GraNd = EL2N sqrt(1 + ||x||^2) =
        // 0.374166 sqrt(6) = 0.916515 (numpy: 0.37416573867739417, 0.916515138991168).
        var network = new ProxyNetwork([2, 3], [new double[6]], [[Math.Log(0.7), Math.Log(0.2), Math.Log(0.1)]]);
        var (el2n, graNd) = Score(network, [1, 2], 0);
        Assert.AreEqual(0.37416573867739417, el2n, 1e-12);
        Assert.AreEqual(0.916515138991168, graNd, 1e-12);
    }

    [TestMethod]
    public void OneHiddenLayer_ByHand()
    {
        // x = (1, 2); W1 = [[1, 0], [0, -1]], b1 = 0: a = (1, -2), h = ReLU(a) = (1, 0); W2 = [[1, 0], [0, 0]], b2 = 0:
        // z = (1, 0), p = (e / (e + 1), 1 / (e + 1)) = (0.731059, 0.268941). Label 1: delta2 = p - (0, 1) = (0.731059, -0.731059),
        // EL2N = ||delta2|| = 1.033873. Output layer: ||delta2||^2 (||h||^2 + 1) = 1.068893 x 2 = 2.137787; hidden layer:
        // delta1 = W2^T delta2 masked by a > 0 = (0.731059, 0), ||delta1||^2 (||x||^2 + 1) = 0.534447 x 6 = 3.206680;
        // GraNd = sqrt(5.344467) = 2.311810 (numpy: 1.0338729567877507, 2.311810211476113).
        var network = new ProxyNetwork([2, 2, 2], [[1, 0, 0, -1], [1, 0, 0, 0]], [[0, 0], [0, 0]]);
        var (el2n, graNd) = Score(network, [1, 2], 1);
        Assert.AreEqual(1.0338729567877507, el2n, 1e-12);
        Assert.AreEqual(2.311810211476113, graNd, 1e-12);
    }

    [TestMethod]
    public void BinaryHead_El2nIsSqrtTwoTimesTheError()
    {
        // Two logits (0, ln 3): p(true) = 0.75; label true: EL2N = sqrt(0.25^2 + 0.25^2) = sqrt(2) x 0.25 (spec §3.1).
        var network = new ProxyNetwork([1, 2], [new double[2]], [[0, Math.Log(3)]]);
        Assert.AreEqual(Math.Sqrt(2) * 0.25, Score(network, [5], 1).El2n, 1e-12);
        Assert.AreEqual(Math.Sqrt(2) * 0.75, Score(network, [5], 0).El2n, 1e-12);
    }

    [TestMethod]
    public void GraNdAndEl2n_EqualAutogradPerExample_ForATwoHiddenLayerProxy()
    {
        TorchRuntime.EnsureLoaded();
        int[] sizes = [5, 8, 6, 4];
        using var module = new MultilayerPerceptron(sizes);
        ModuleWeights.Initialize(module, seed: 3, module.BiasBounds);
        var network = ProxyNetwork.FromModuleWeights(ModuleWeights.Capture(module), sizes);
        var ws = new DifficultyWorkspace(sizes);
        var random = new Random(5);
        var parameters = module.parameters().ToArray();
        for (int row = 0; row < 12; row++)
        {
            var x = Enumerable.Range(0, 5).Select(_ => (float)(2 * random.NextDouble() - 1)).ToArray();
            int label = row % 4;
            // Autograd: one backward pass for this row alone (test only), the norm of every parameter's gradient.
            using var scope = NewDisposeScope();
            module.zero_grad();
            var logits = module.call(tensor(x, [1, 5]));
            var loss = nn.functional.cross_entropy(logits, tensor(new long[] { label }));
            loss.backward();
            double squares = parameters.Sum(p => p.grad!.pow(2).sum().ToDouble());
            var p = nn.functional.softmax(logits, 1).squeeze(0);
            double el2nTorch = Math.Sqrt(Enumerable.Range(0, 4).Sum(k => Math.Pow(p[k].ToDouble() - (k == label ? 1 : 0), 2)));

            network.Forward(x, ws);
            double graNd = network.GraNd(ws, label);
            double el2n = ProxyNetwork.El2n(ws, label);
            Assert.AreEqual(Math.Sqrt(squares), graNd, 1e-5 * Math.Max(1, graNd), $"GraNd of row {row}");
            Assert.AreEqual(el2nTorch, el2n, 1e-6, $"EL2N of row {row}");
        }
    }

    [TestMethod]
    public void ArgMax_TakesTheLowerIndexOnTies()
    {
        Assert.AreEqual(1, ProxyNetwork.ArgMax([0.2, 0.4, 0.4]));
        Assert.AreEqual(0, ProxyNetwork.ArgMax([0.5, 0.5]));
    }
}
