namespace CyLlm.Tensors.Quant;

/// <summary>
/// Which weight matrices run from a rows-in-lanes copy (<see cref="Q4_0x16"/>; <see cref="Q8_0x16"/> where the
/// 512-bit VNNI kernel loads, else <see cref="Q8_0x8"/>) on this processor. The choice is fixed per process, and
/// <see cref="MatMul"/> makes the same one when it runs a packed matrix. Rows must be a multiple of 16 because <see cref="MatMul"/> splits packed matrices into 16-row chunks.
/// </summary>
public static unsafe class RowPacking
{
    /// <summary>Repacks a row-major matrix when a packed kernel exists for it here; the caller owns (and
    /// frees with NativeMemory.AlignedFree) the returned memory. Returns null when the matrix stays as it is.</summary>
    public static byte* TryRepack(GgmlType type, byte* data, int rows, int cols)
    {
        if (rows % 16 != 0)
        {
            return null;
        }

        return type switch
        {
            GgmlType.Q4_0 when Q4_0x16.IsSupported => Q4_0x16.Repack(data, rows, cols),
            GgmlType.Q8_0 when Q8_0x16.IsSupported => Q8_0x16.Repack(data, rows, cols),
            GgmlType.Q8_0 when Q8_0x8.IsSupported => Q8_0x8.Repack(data, rows, cols),
            _ => null,
        };
    }
}
