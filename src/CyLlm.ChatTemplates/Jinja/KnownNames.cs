namespace CyLlm.ChatTemplates.Jinja;

/// <summary>Filters and tests this engine implements; any other name is rejected when the template is parsed.</summary>
internal static class KnownNames
{
    public static readonly HashSet<string> Filters = new(StringComparer.Ordinal)
    {
        "abs", "attr", "batch", "capitalize", "center", "count", "d", "default", "dictsort", "e", "escape", "first",
        "float", "forceescape", "format", "indent", "int", "items", "join", "last", "length", "list", "lower", "map",
        "max", "min", "reject", "rejectattr", "replace", "reverse", "round", "safe", "select", "selectattr", "sort",
        "string", "sum", "title", "tojson", "trim", "unique", "upper", "wordcount",
    };

    public static readonly HashSet<string> Tests = new(StringComparer.Ordinal)
    {
        "boolean", "callable", "defined", "divisibleby", "eq", "equalto", "escaped", "even", "false", "filter", "float",
        "ge", "gt", "greaterthan", "in", "integer", "iterable", "le", "lessthan", "lower", "lt", "mapping", "ne", "none",
        "number", "odd", "sameas", "sequence", "string", "test", "true", "undefined", "upper",
        "==", "!=", "<", "<=", ">", ">=",
    };
}
