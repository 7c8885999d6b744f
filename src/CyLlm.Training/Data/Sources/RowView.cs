using System.Diagnostics;
using System.Text.Json;

namespace CyLlm.Training.Data.Sources;

/// <summary>
/// The fields of one row: a JSON object (JSONL, JSON arrays) or a tabular record (CSV, Parquet: column names
/// with string cells, a null cell standing for an absent field). Cells that hold nested data (messages,
/// conversations) are JSON text and are parsed on demand.
/// </summary>
internal sealed class RowView : IDisposable
{
    private readonly JsonElement _object;
    private readonly TabularHeader? _header;
    private readonly string?[]? _cells;
    private List<JsonDocument>? _parsed;

    public RowView(JsonElement obj)
    {
        Debug.Assert(obj.ValueKind == JsonValueKind.Object);
        _object = obj;
    }

    public RowView(TabularHeader header, string?[] cells)
    {
        Debug.Assert(cells.Length == header.Names.Count);
        _header = header;
        _cells = cells;
    }

    public bool IsJson => _header is null;

    /// <summary>Whether the row has the field (a JSON property, or a column whose cell is not null).</summary>
    public bool Has(string name)
    {
        if (_header is null)
        {
            return _object.TryGetProperty(name, out _);
        }

        int i = _header.IndexOf(name);
        return i >= 0 && _cells![i] is not null;
    }

    /// <summary>The field as JSON; tabular cells come back as JSON strings. False when absent or null.</summary>
    public bool TryGet(string name, out JsonElement value)
    {
        if (_header is null)
        {
            return _object.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;
        }

        value = default;
        int i = _header.IndexOf(name);
        if (i < 0 || _cells![i] is not string cell)
        {
            return false;
        }

        value = JsonSerializer.SerializeToElement(cell);
        return true;
    }

    /// <summary>
    /// A field that holds nested JSON: the element itself for JSON rows, the cell parsed as JSON for tabular
    /// ones. Null with <paramref name="parseError"/> set when the cell is not valid JSON.
    /// </summary>
    public JsonElement? GetNested(string name, out string? parseError)
    {
        parseError = null;
        if (_header is null)
        {
            return _object.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;
        }

        int i = _header.IndexOf(name);
        if (i < 0 || _cells![i] is not string cell)
        {
            return null;
        }

        try
        {
            var doc = JsonDocument.Parse(cell);
            (_parsed ??= []).Add(doc);
            return doc.RootElement;
        }
        catch (JsonException e)
        {
            parseError = "the cell is not valid JSON: " + e.Message;
            return null;
        }
    }

    public void Dispose()
    {
        if (_parsed is null)
        {
            return;
        }

        foreach (var d in _parsed)
        {
            d.Dispose();
        }

        _parsed = null;
    }
}
