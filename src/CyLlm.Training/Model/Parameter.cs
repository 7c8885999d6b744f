using System.Diagnostics;

namespace CyLlm.Training.Model;

/// <summary>
/// One trainable or frozen tensor in F32: <see cref="Rows"/> × <see cref="Cols"/> row-major (a matrix [out, in] as the
/// engine stores it; vectors have Rows = 1). Grad is allocated only when trainable. The transpose [Cols, Rows] used by
/// the input-gradient GEMM is cached and rebuilt after each update (<see cref="MarkChanged"/>).
/// </summary>
public sealed class Parameter
{
    private float[]? _transposed;
    private bool _transposedValid;

    public Parameter(string name, int rows, int cols, bool trainable, bool decay)
    {
        Debug.Assert(rows > 0 && cols > 0);
        Name = name;
        Rows = rows;
        Cols = cols;
        Data = new float[(long)rows * cols];
        Trainable = trainable;
        Decay = decay;
        Grad = trainable ? new float[Data.Length] : [];
    }

    public string Name { get; }
    public int Rows { get; }
    public int Cols { get; }
    public float[] Data { get; }
    public float[] Grad { get; private set; }
    public bool Trainable { get; private set; }

    /// <summary>AdamW weight decay applies (matrices; not norms or biases).</summary>
    public bool Decay { get; }

    public int Length => Data.Length;

    public void Freeze()
    {
        Trainable = false;
        Grad = [];
    }

    public void MarkChanged() => _transposedValid = false;

    /// <summary>Dataᵀ, [Cols, Rows].</summary>
    public float[] Transposed()
    {
        if (!_transposedValid)
        {
            _transposed ??= new float[Data.Length];
            Backward.GemmNT.Transpose(Data, _transposed, Rows, Cols);
            _transposedValid = true;
        }

        return _transposed!;
    }

    /// <summary>Dataᵀ, [Cols, Rows], rebuilt on the context's threads when stale (large matrices after every update).</summary>
    internal float[] Transposed(Backward.TrainContext ctx)
    {
        if (!_transposedValid)
        {
            _transposed ??= new float[Data.Length];
            ctx.Transpose(Data, _transposed, Rows, Cols);
            _transposedValid = true;
        }

        return _transposed!;
    }
}
