namespace CyLlm.Training.Model;

/// <summary>
/// The parameters of one decoder block and the activations its last forward saved for backward (rows = tokens of the
/// micro-batch; widths: D = dim, Q = heads·headDim, K = kvHeads·headDim, H = hidden).
/// </summary>
public sealed class TransformerLayer
{
    public required Parameter AttnNorm { get; init; }
    public required LinearLayer Q { get; init; }
    public required LinearLayer K { get; init; }
    public required LinearLayer V { get; init; }
    public required LinearLayer O { get; init; }
    public required Parameter FfnNorm { get; init; }
    public required LinearLayer Gate { get; init; }
    public required LinearLayer Up { get; init; }
    public required LinearLayer Down { get; init; }

    public IEnumerable<LinearLayer> Linears => [Q, K, V, O, Gate, Up, Down];

    // Saved activations: input [rows, D], n1 [rows, D], inv1 [rows], q [rows, Q] and k [rows, K] after RoPE, v [rows, K],
    // probs (see AttentionOp), att [rows, Q], mid [rows, D], n2 [rows, D], inv2 [rows], g/u/h [rows, H].
    internal float[] Input = [], N1 = [], Inv1 = [], Qa = [], Ka = [], Va = [], Probs = [], Att = [];
    internal float[] Mid = [], N2 = [], Inv2 = [], G = [], U = [], H = [];

    internal void Ensure(int rows, int d, int q, int k, int h, long probs)
    {
        if (Input.Length < rows * d)
        {
            Input = new float[rows * d];
            N1 = new float[rows * d];
            Mid = new float[rows * d];
            N2 = new float[rows * d];
            Inv1 = new float[rows];
            Inv2 = new float[rows];
        }

        if (Qa.Length < rows * q)
        {
            Qa = new float[rows * q];
            Att = new float[rows * q];
        }

        if (Ka.Length < rows * k)
        {
            Ka = new float[rows * k];
            Va = new float[rows * k];
        }

        if (G.Length < rows * h)
        {
            G = new float[rows * h];
            U = new float[rows * h];
            H = new float[rows * h];
        }

        if (Probs.Length < probs)
        {
            Probs = new float[probs];
        }
    }
}
