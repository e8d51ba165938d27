// The reverse-mode tape: every op appends a closure that propagates its output gradient into its
// inputs' gradients; Backward runs them in reverse order. Ops record nothing when no input needs
// a gradient (evaluation and detached branches), so one forward serves training and evaluation.
namespace SharpSeek.Training.Autograd;

public sealed class Tape
{
    private readonly List<Action> _backward = [];

    public int Count => _backward.Count;

    /// <summary>A new output tensor that needs a gradient iff any input does.</summary>
    public static Tensor Output(int rows, int cols, params Tensor?[] inputs)
    {
        bool grad = false;
        foreach (Tensor? t in inputs) grad |= t?.RequiresGrad ?? false;
        return Tensor.Zeros(rows, cols, grad);
    }

    public void Record(Tensor output, Action backward)
    {
        if (output.RequiresGrad) _backward.Add(backward);
    }

    /// <summary>Seeds d(loss)/d(loss) = 1 for a scalar loss and runs every recorded step in reverse.</summary>
    public void Backward(Tensor loss)
    {
        if (loss.Length != 1) throw new ArgumentException("Backward needs a scalar loss");
        if (!loss.RequiresGrad) return;
        loss.G[0] = 1f;
        for (int i = _backward.Count - 1; i >= 0; i--) _backward[i]();
        _backward.Clear();
    }
}
