namespace CyLlm.Jobs.Storage;

/// <summary>Checks for the lower-case hex digests the store keeps.</summary>
internal static class Hex
{
    public static bool IsSha256(string? s)
    {
        if (s is null || s.Length != 64)
        {
            return false;
        }

        foreach (char c in s)
        {
            if (!char.IsAsciiDigit(c) && c is not (>= 'a' and <= 'f'))
            {
                return false;
            }
        }

        return true;
    }
}
