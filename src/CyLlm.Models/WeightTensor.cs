using CyLlm.Tensors;

namespace CyLlm.Models;

/// <summary>
/// One weight tensor inside a memory-mapped model file. Shape is in ggml order: Shape[0] (ne0) is the
/// innermost, contiguous dimension, so a matrix with Shape = [in, out] is stored row-major as
/// [out][in] (each of the out rows holds `in` elements encoded in <see cref="Type"/>).
/// </summary>
public sealed class WeightTensor
{
    public required string Name { get; init; }
    public required GgmlType Type { get; init; }
    public required long[] Shape { get; init; }

    /// <summary>Address of the first byte; valid while the owning <see cref="LoadedModel"/> is alive.</summary>
    public required nint Data { get; init; }

    public required long ByteLength { get; init; }

    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (long d in Shape)
            {
                n *= d;
            }

            return n;
        }
    }

    /// <summary>Elements per row (ne0).</summary>
    public long Columns => Shape.Length == 0 ? 1 : Shape[0];

    /// <summary>Number of rows: the product of every dimension after the first.</summary>
    public long Rows => Shape.Length == 0 ? 1 : ElementCount / Shape[0];

    public override string ToString() => $"{Name} {Type} [{string.Join(", ", Shape)}]";
}
