namespace CyLlm.Training.Data;

/// <summary>The container format of a dataset file, detected from its first bytes (never its extension).</summary>
public enum DatasetFormat
{
    /// <summary>One JSON object per line (first non-space byte <c>{</c>).</summary>
    JsonLines,

    /// <summary>A top-level JSON array of row objects (first non-space byte <c>[</c>).</summary>
    JsonArray,

    /// <summary>RFC 4180 CSV with a header row (anything else).</summary>
    Csv,

    /// <summary>Apache Parquet (magic <c>PAR1</c>), flat string columns.</summary>
    Parquet,
}
