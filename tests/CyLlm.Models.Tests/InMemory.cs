using CyLlm.Models.Gguf;
using CyLlm.Models.LlamaC;

namespace CyLlm.Models.Tests;

/// <summary>Runs the loaders on bytes in memory (no file per case), for exhaustive truncation and fuzz tests.</summary>
internal static unsafe class InMemory
{
    /// <summary>The exception loading the first <paramref name="length"/> bytes of a GGUF image throws, or null.</summary>
    public static Exception? GgufError(byte[] bytes, int length) => Error(bytes, length, static (p, n) => GgufModelLoader.Load(p, n, "mem.gguf", null));

    public static Exception? LlamaCError(byte[] bytes, int length) => Error(bytes, length, static (p, n) => LlamaCModelLoader.Load(p, n, "mem.bin", null));

    private delegate LoadedModel Loader(byte* data, long length);

    private static Exception? Error(byte[] bytes, int length, Loader load)
    {
        // A non-empty array keeps the pointer non-null even for a zero-length prefix.
        var buffer = bytes.Length > 0 ? bytes : new byte[1];
        fixed (byte* p = buffer)
        {
            try
            {
                load(p, length).Dispose();
                return null;
            }
            catch (Exception e)
            {
                return e;
            }
        }
    }
}
