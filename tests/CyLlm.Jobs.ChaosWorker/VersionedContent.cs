using System.Buffers.Binary;

namespace CyLlm.Jobs.ChaosWorker;

/// <summary>
/// Self-describing file versions for the atomic-write chaos test. Layout (little-endian): "CYV1" magic (4 bytes),
/// version k (int32), payload length n (int32), n payload bytes from Random(seed ^ k). Any torn, mixed or truncated
/// file fails <see cref="TryParse"/>, so "whole old or whole new version" can be checked from the bytes alone.
/// </summary>
public static class VersionedContent
{
    private const int HeaderSize = 12;
    private static ReadOnlySpan<byte> Magic => "CYV1"u8;

    /// <summary>Version <paramref name="k"/>: 16 KiB to 1 MiB of payload, size varying with k.</summary>
    public static byte[] Make(int k, int seed)
    {
        int n = 16 * 1024 + (int)((uint)(k * 2654435761u) % (1024 * 1024 - 16 * 1024));
        var bytes = new byte[HeaderSize + n];
        Magic.CopyTo(bytes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), k);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), n);
        new Random(seed ^ k).NextBytes(bytes.AsSpan(HeaderSize));
        return bytes;
    }

    /// <summary>The version a file holds, or -1 when it is not exactly one whole version.</summary>
    public static int TryParse(byte[] bytes, int seed)
    {
        if (bytes.Length < HeaderSize || !bytes.AsSpan(0, 4).SequenceEqual(Magic))
        {
            return -1;
        }

        int k = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(4));
        int n = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8));
        if (n < 0 || bytes.Length != HeaderSize + n)
        {
            return -1;
        }

        return bytes.AsSpan().SequenceEqual(Make(k, seed)) ? k : -1;
    }
}
