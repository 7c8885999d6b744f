using System.Diagnostics;

namespace CyLlm.Tensors;

/// <summary>
/// A weight matrix in its storage type: <see cref="Rows"/> rows of <see cref="Cols"/> elements, row-major,
/// each row <see cref="RowBytes"/> bytes. Computing y = W·x takes x of length Cols and gives y of length Rows.
/// The memory is owned elsewhere (usually a memory-mapped model file).
/// </summary>
public readonly unsafe struct QuantMatrix
{
    public QuantMatrix(GgmlType type, int rows, int cols, byte* data)
    {
        if (!GgmlTypeInfo.IsSupported(type))
        {
            throw new NotSupportedException($"tensor type {type} is not supported");
        }

        long rowBytes = GgmlTypeInfo.RowBytes(type, cols);
        if (rowBytes < 0)
        {
            throw new ArgumentException($"{cols} columns is not a whole number of {type} blocks", nameof(cols));
        }

        Debug.Assert(data != null);
        Type = type;
        Rows = rows;
        Cols = cols;
        Data = data;
        RowBytes = rowBytes;
    }

    /// <summary>The same weights repacked for a rows-in-lanes kernel (<see cref="Quant.RowPacking"/>: Q4_0, Q4_K, Q8_0), or null.</summary>
    public byte* Packed { get; init; }

    public GgmlType Type { get; }
    public int Rows { get; }
    public int Cols { get; }
    public byte* Data { get; }
    public long RowBytes { get; }

    public byte* Row(int r) => Data + (r * RowBytes);

    /// <summary>True when the kernel takes Q8-quantized activations rather than floats.</summary>
    public bool UsesQ8Activations => Type is GgmlType.Q8_0 or GgmlType.Q4_0 or GgmlType.Q4_1 or GgmlType.Q5_0 or GgmlType.Q5_1
        or GgmlType.IQ4_NL or GgmlType.MXFP4 or GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K or GgmlType.IQ4_XS;

    /// <summary>K-quants and IQ4_XS: activations quantized with one scale per 256 (<see cref="Quant.ActivationQuantizer.ToQ8K"/>,
    /// ggml's Q8_K). IQ4_NL and MXFP4, 32-element types, take the per-32 activations of Q8_0, as in ggml.</summary>
    public bool UsesSuperBlockActivations => Type is GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K
        or GgmlType.IQ4_XS;
}
