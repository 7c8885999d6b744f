namespace CyLlm.Training.Data.Sources;

internal static class StreamSeeking
{
    /// <summary>Positions a stream at byte <paramref name="offset"/>; a non-seekable one only at its start.</summary>
    public static void SeekTo(Stream stream, long offset)
    {
        if (stream.CanSeek)
        {
            stream.Position = offset;
            return;
        }

        if (offset != 0)
        {
            throw new NotSupportedException("resuming a dataset mid-file needs a seekable stream");
        }
    }
}
