using System.Runtime.InteropServices;

namespace CyLlm.Models;

/// <summary>
/// Weights a loader had to assemble in memory instead of viewing them in the mapped file (the experts of a Hugging Face
/// MoE checkpoint that are not stored back to back): 64-byte aligned native memory, freed with the model.
/// </summary>
public sealed unsafe class NativeBuffer : IDisposable
{
    private byte* _pointer;

    public NativeBuffer(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        Length = bytes;
        _pointer = (byte*)NativeMemory.AlignedAlloc((nuint)bytes, 64);
    }

    /// <summary>Size in bytes.</summary>
    public long Length { get; }

    public byte* Pointer => _pointer != null ? _pointer : throw new ObjectDisposedException(nameof(NativeBuffer));

    public void Dispose()
    {
        if (_pointer != null)
        {
            NativeMemory.AlignedFree(_pointer);
            _pointer = null;
        }
    }
}
