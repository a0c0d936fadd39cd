using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.TorchSharp.Training;

/// <summary>
/// Adam and AdamW (betas 0.9 and 0.999, eps 1e-8, no amsgrad), the same tensor operations in the same order as
/// TorchSharp's <c>optim.Adam</c> and <c>optim.AdamW</c>, so the weights they produce are bitwise the same, with every
/// number given to libtorch as a <see cref="global::TorchSharp.Scalar"/> that is kept alive until the operation returns.
/// </summary>
/// <remarks>
/// Why not TorchSharp's optimizers: their step passes numbers (beta1, 1 - beta1, eps, the step size) through implicit
/// <c>double</c> to <c>Scalar</c> conversions, and <c>add_(Scalar)</c> adds a temporary alpha = 1 of its own. Nothing
/// references such a temporary once its native handle has been read, so a garbage collection started by another
/// thread while the native call runs can finalize it and free the c10::Scalar that libtorch is reading (observed as
/// "Expected false to be true" from c10::Scalar::toFloat, or a crash). Here constants come from
/// <see cref="TorchScalars"/> and the per-step numbers are disposed with <c>using</c> after their operation.
/// </remarks>
internal sealed class TorchAdam : IDisposable
{
    private const double Beta1 = 0.9;
    private const double Beta2 = 0.999;
    private const double Eps = 1e-8;

    private readonly Tensor[] _parameters;
    private readonly Tensor[] _averages;
    private readonly Tensor[] _squares;
    private readonly bool _decoupled;
    private readonly double _weightDecay;
    private long _step;

    /// <param name="parameters">The parameters to update (their gradients are read after each backward pass).</param>
    /// <param name="learningRate">The initial learning rate.</param>
    /// <param name="weightDecay">Weight decay: added to the gradient (Adam) or decoupled (AdamW).</param>
    /// <param name="decoupled">True for AdamW.</param>
    public TorchAdam(IReadOnlyList<Tensor> parameters, double learningRate, double weightDecay, bool decoupled)
    {
        _parameters = parameters.ToArray();
        LearningRate = learningRate;
        _weightDecay = weightDecay;
        _decoupled = decoupled;
        using var _ = no_grad();
        _averages = _parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
        _squares = _parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
    }

    /// <summary>The current learning rate (a schedule changes it between epochs).</summary>
    public double LearningRate { get; set; }

    /// <summary>Zeroes every parameter's gradient (as TorchSharp's optimizers do: in place, keeping the tensor).</summary>
    public void ZeroGradients()
    {
        foreach (var p in _parameters)
        {
            using var grad = p.grad;
            grad?.zero_();
        }
    }

    /// <summary>One update of every parameter that has a gradient.</summary>
    public void Step()
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        _step++;
        double lr = LearningRate;
        double correction1 = 1 - Math.Pow(Beta1, _step);
        double correction2 = 1 - Math.Pow(Beta2, _step);
        using var decay = (1 - lr * _weightDecay).ToScalar();
        using var root = Math.Sqrt(correction2).ToScalar();
        using var stepSize = (-(lr / correction1)).ToScalar();
        var one = TorchScalars.Get(1);
        for (int i = 0; i < _parameters.Length; i++)
        {
            var param = _parameters[i];
            var grad = param.grad;
            if (grad is null)
                continue;
            if (_decoupled)
                param.mul_(decay);
            else if (_weightDecay != 0)
                grad = grad.add(param, TorchScalars.Get(_weightDecay));
            _averages[i].mul_(TorchScalars.Get(Beta1)).add_(grad, TorchScalars.Get(1 - Beta1));
            _squares[i].mul_(TorchScalars.Get(Beta2)).addcmul_(grad, grad, TorchScalars.Get(1 - Beta2));
            var denominator = (_squares[i].sqrt().div(root)).add_(TorchScalars.Get(Eps), one);
            param.addcdiv_(_averages[i], denominator, stepSize);
        }
    }

    public void Dispose()
    {
        foreach (var t in _averages)
            t.Dispose();
        foreach (var t in _squares)
            t.Dispose();
    }
}
