namespace CyLlm.ChatTemplates.Jinja;

/// <summary>Jinja2 3.1 built-in tests (<c>x is name</c>).</summary>
internal sealed partial class Interpreter
{
    private bool ApplyTest(string name, object? v, Arguments a)
    {
        v = Plain(v);
        switch (name)
        {
            case "defined":
                return v is not Undefined;
            case "undefined":
                return v is Undefined;
            case "none":
                return v is null;
            case "boolean":
                return v is bool;
            case "true":
                return v is true;
            case "false":
                return v is false;
            case "integer":
                return v is long;
            case "float":
                return v is double;
            case "number":
                return v is long or double or bool;
            case "string":
                return v is string;
            case "mapping":
                return v is PyDict;
            case "sequence":
                return v is string or List<object?> or PyDict or Undefined && v is not GeneratorValue;
            case "iterable":
                return v is string or List<object?> or PyDict or Undefined or LoopContext;
            case "callable":
                return v is Callable;
            case "escaped":
                return false;
            case "lower":
                return StrSoft(v) is var lo && lo.Any(char.IsLetter) && !lo.Any(char.IsUpper);
            case "upper":
                return StrSoft(v) is var up && up.Any(char.IsLetter) && !up.Any(char.IsLower);
            case "odd" or "even":
                {
                    long x = ToIndex(v, name);
                    return (PyNumber.Mod(x, 2) == 1) == (name == "odd");
                }

            case "divisibleby":
                {
                    long num = ToIndex(a.Get(0, "num", null), "divisibleby");
                    return PyNumber.Mod(ToIndex(v, "divisibleby"), num) == 0;
                }

            case "filter":
                return v is string fn && KnownNames.Filters.Contains(fn);
            case "test":
                return v is string tn && KnownNames.Tests.Contains(tn);
            case "in":
                return Contains(a.Get(0, "seq", null), v);
            case "sameas":
                {
                    var other = a.Get(0, "other", null);
                    return v is null or bool ? Equals(v, other) : v is long or double or string ? ValueEquals(v, other) : ReferenceEquals(v, other);
                }

            case "eq" or "equalto" or "==":
                return ValueEquals(v, Operand(a, name));
            case "ne" or "!=":
                return !ValueEquals(v, Operand(a, name));
            case "lt" or "lessthan" or "<":
                return CompareOrder(v, Operand(a, name), "<") < 0;
            case "le" or "<=":
                return CompareOrder(v, Operand(a, name), "<=") <= 0;
            case "gt" or "greaterthan" or ">":
                return CompareOrder(v, Operand(a, name), ">") > 0;
            case "ge" or ">=":
                return CompareOrder(v, Operand(a, name), ">=") >= 0;
            default:
                throw new TemplateError($"no test named '{name}'");
        }
    }

    private static object? Operand(Arguments a, string test) =>
        a.TryGet(0, "other", out var v) ? v : throw new TemplateError($"test '{test}' needs a value to compare with");
}
