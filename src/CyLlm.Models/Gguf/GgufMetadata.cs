using System.Globalization;

namespace CyLlm.Models.Gguf;

/// <summary>
/// Typed reads of GGUF metadata values (as <see cref="GgufReader"/> returns them). Writers differ in the integer
/// width they use for the same key (uint32 vs int32 vs uint64), so every integer type is accepted where an
/// integer is expected; a value of the wrong kind (a string where a number belongs) is a format error that
/// names the key, never a cast exception.
/// </summary>
internal static class GgufMetadata
{
    public static string? Str(IReadOnlyDictionary<string, object> m, string key) => m.TryGetValue(key, out var v)
        ? v as string ?? throw WrongType(key, v, "a string")
        : null;

    public static long? Long(IReadOnlyDictionary<string, object> m, string key)
    {
        if (!m.TryGetValue(key, out var v))
        {
            return null;
        }

        return AsLong(v) ?? throw WrongType(key, v, "an integer");
    }

    /// <summary>An integer key that must fit an int (hyperparameters, counts).</summary>
    public static int? Int(IReadOnlyDictionary<string, object> m, string key)
    {
        long? v = Long(m, key);
        if (v is null)
        {
            return null;
        }

        if (v < int.MinValue || v > int.MaxValue)
        {
            throw new ModelFormatException($"metadata '{key}' value {v} is out of range");
        }

        return (int)v;
    }

    /// <summary>
    /// A per-model hyperparameter that GGUF may also store per layer (an array, e.g. head_count of OpenELM):
    /// a scalar, or an array whose values are all equal. Different values per layer are not supported.
    /// </summary>
    public static int? IntOrUniformArray(IReadOnlyDictionary<string, object> m, string key)
    {
        if (!m.TryGetValue(key, out var v) || v is not Array a)
        {
            return Int(m, key);
        }

        var values = IntArray(key, a);
        if (values.Length == 0)
        {
            throw new ModelFormatException($"metadata '{key}' is an empty array");
        }

        foreach (int x in values)
        {
            if (x != values[0])
            {
                throw new ModelFormatException($"metadata '{key}' differs between layers, which CyLlm does not support");
            }
        }

        return values[0];
    }

    /// <summary>A token id: uint32 0xFFFFFFFF (llama.cpp's LLAMA_TOKEN_NULL as written by its converter) or any
    /// negative value means none (-1).</summary>
    public static int? TokenId(IReadOnlyDictionary<string, object> m, string key)
    {
        long? v = Long(m, key);
        return v switch
        {
            null => null,
            < 0 or 0xFFFFFFFF => -1,
            > int.MaxValue => throw new ModelFormatException($"metadata '{key}' token id {v} is out of range"),
            _ => (int)v.Value,
        };
    }

    public static float? Float(IReadOnlyDictionary<string, object> m, string key)
    {
        if (!m.TryGetValue(key, out var v))
        {
            return null;
        }

        return v switch
        {
            float f => f,
            double d => (float)d,
            _ => AsLong(v) is long l ? l : throw WrongType(key, v, "a number"),
        };
    }

    public static bool? Bool(IReadOnlyDictionary<string, object> m, string key)
    {
        if (!m.TryGetValue(key, out var v))
        {
            return null;
        }

        return v switch
        {
            bool b => b,
            _ => AsLong(v) is long l and (0 or 1) ? l == 1 : throw WrongType(key, v, "a bool"),
        };
    }

    public static string[]? StringArray(IReadOnlyDictionary<string, object> m, string key) => m.TryGetValue(key, out var v)
        ? v as string[] ?? throw WrongType(key, v, "an array of strings")
        : null;

    public static float[]? FloatArray(IReadOnlyDictionary<string, object> m, string key)
    {
        if (!m.TryGetValue(key, out var v))
        {
            return null;
        }

        return v switch
        {
            float[] f => f,
            double[] d => Array.ConvertAll(d, x => (float)x),
            _ => throw WrongType(key, v, "an array of floats"),
        };
    }

    public static int[]? IntArray(IReadOnlyDictionary<string, object> m, string key) => m.TryGetValue(key, out var v)
        ? v is Array a ? IntArray(key, a) : throw WrongType(key, v, "an array of integers")
        : null;

    private static int[] IntArray(string key, Array a)
    {
        // Exact type test: the CLR lets a uint[] pass "is int[]" (array covariance between same-size integers).
        if (a.GetType() == typeof(int[]))
        {
            return (int[])a;
        }

        var element = a.GetType().GetElementType();
        if (element != typeof(byte) && element != typeof(sbyte) && element != typeof(ushort) && element != typeof(short)
            && element != typeof(uint) && element != typeof(long) && element != typeof(ulong))
        {
            throw WrongType(key, a, "an array of integers");
        }

        var r = new int[a.Length];
        for (int i = 0; i < r.Length; i++)
        {
            long v = AsLong(a.GetValue(i)!) ?? 0;
            if (v < int.MinValue || v > int.MaxValue)
            {
                throw new ModelFormatException($"metadata '{key}' element {i} value {v} is out of range");
            }

            r[i] = (int)v;
        }

        return r;
    }

    private static long? AsLong(object v) => v switch
    {
        byte b => b,
        sbyte sb => sb,
        ushort us => us,
        short s => s,
        uint u => u,
        int i => i,
        long l => l,
        ulong ul => ul <= long.MaxValue ? (long)ul : long.MaxValue,
        _ => null,
    };

    private static ModelFormatException WrongType(string key, object v, string expected) =>
        new($"metadata '{key}' is {Describe(v)}; {expected} is required");

    private static string Describe(object v) => v switch
    {
        string => "a string",
        Array a => $"an array of {a.Length} {a.GetType().GetElementType()!.Name}",
        bool => "a bool",
        IConvertible c => $"a {v.GetType().Name} ({c.ToString(CultureInfo.InvariantCulture)})",
        _ => v.GetType().Name,
    };
}
