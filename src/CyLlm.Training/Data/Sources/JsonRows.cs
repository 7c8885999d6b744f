using System.Text.Json;

namespace CyLlm.Training.Data.Sources;

/// <summary>Turns a parsed JSON row into a <see cref="RawRow"/>, rejecting anything but an object.</summary>
internal static class JsonRows
{
    /// <summary>The row for <paramref name="doc"/>, which it owns (disposing the row disposes the document).</summary>
    public static RawRow FromDocument(JsonDocument doc, RowCheckpoint at, long? line, long? row)
    {
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            string kind = doc.RootElement.ValueKind.ToString().ToLowerInvariant();
            doc.Dispose();
            return new RawRow(at, null, new DatasetRowError(line, row, null, DatasetErrorKind.WrongType, $"the row must be a JSON object, not {kind}"));
        }

        return new RawRow(at, new RowView(doc.RootElement), null, owner: doc);
    }
}
