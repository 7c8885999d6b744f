using System.Text;
using System.Text.Json.Nodes;
using CsCheck;
using CyLlm.Training.Data;

namespace CyLlm.Training.Tests.Data;

/// <summary>
/// Random files mixing valid and malformed rows, of every schema, as JSONL and CSV: validation must report
/// exactly the malformed rows (by line) and count every valid one.
/// </summary>
public sealed class ValidationPropertyTests
{
    private const int MalformedKinds = 6;

    /// <summary>One generated row: its schema-free shape (valid, or malformed variant 0..5) and its free text.</summary>
    private sealed record RowSpec(bool Valid, int Variant, string A, string B, bool System, bool BlankBefore);

    private static readonly Gen<string> Text =
        Gen.Char["abcXYZ ,\"\n\té'{}[]"].Array[0, 10].Select(c => "w" + new string(c));

    private static readonly Gen<RowSpec> Row =
        Gen.Select(Gen.Bool, Gen.Int[0, MalformedKinds - 1], Text, Text, Gen.Bool, Gen.Int[0, 9])
            .Select((v, k, a, b, s, blank) => new RowSpec(v, k, a, b, s, blank == 0));

    private static readonly Gen<(int Schema, bool Csv, RowSpec[] Rows)> Files =
        Gen.Select(Gen.Int[0, 3], Gen.Bool, Row.Array[1, 40]);

    private static JsonObject Msg(string roleKey, string contentKey, string role, JsonNode? content) =>
        new() { [roleKey] = role, [contentKey] = content };

    /// <summary>The row's fields as JSON (nested lists as nodes); null for a malformed row that is not even JSON.</summary>
    private static JsonObject? Fields(int schema, RowSpec r, out bool brokenJson)
    {
        brokenJson = false;
        int bad = r.Valid ? -1 : r.Variant;
        if (bad == 5)
        {
            brokenJson = true;
            return null;
        }

        switch (schema)
        {
            case 0 or 1:
                {
                    bool chat = schema == 0;
                    string rk = chat ? "role" : "from", ck = chat ? "content" : "value";
                    string user = chat ? "user" : "human", asst = chat ? "assistant" : "gpt";
                    var list = new JsonArray();
                    if (r.System)
                    {
                        list.Add(Msg(rk, ck, "system", "be nice " + r.B));
                    }

                    list.Add(Msg(rk, ck, bad == 0 ? "robot" : user, bad == 1 ? " " : r.A));
                    if (bad != 2)
                    {
                        var a = Msg(rk, ck, asst, bad == 3 ? 17 : r.B);
                        if (chat && r.System)
                        {
                            a["weight"] = 1;
                        }

                        list.Add(a);
                    }

                    if (bad == 4)
                    {
                        list.Add(Msg(rk, ck, user, "trailing " + r.A));
                    }

                    return new JsonObject { [chat ? "messages" : "conversations"] = list };
                }

            case 2:
                return new JsonObject
                {
                    ["instruction"] = bad == 0 ? "  " : bad == 1 ? null : r.A,
                    ["input"] = r.System ? r.B : "",
                    ["output"] = bad is 2 or 3 or 4 ? (bad == 3 ? "" : bad == 4 ? "\t" : " ") : r.B,
                };

            default:
                return new JsonObject { ["text"] = bad is >= 0 and <= 4 ? (bad == 1 ? null : new string(' ', bad)) : r.A + r.B };
        }
    }

    private static readonly string[][] Columns = [["messages"], ["conversations"], ["instruction", "input", "output"], ["text"]];

    private static string Cell(string s) => "\"" + s.Replace("\"", "\"\"") + "\"";

    /// <summary>Builds the file and returns it with the lines of its malformed rows.</summary>
    private static (string Content, HashSet<long> BadLines, int Valid) Build(int schema, bool csv, RowSpec[] rows)
    {
        var sb = new StringBuilder();
        var bad = new HashSet<long>();
        int valid = 0;
        long line = 1;
        if (csv)
        {
            sb.Append("id,").Append(string.Join(',', Columns[schema])).Append('\n');
            line = 2;
        }

        for (int i = 0; i < rows.Length; i++)
        {
            var r = rows[i];
            if (r.BlankBefore)
            {
                sb.Append('\n');
                line++;
            }

            var fields = Fields(schema, r, out bool broken);
            string record;
            if (csv)
            {
                // A row of the wrong width stands for CSV's own malformation.
                record = broken
                    ? string.Join(',', Enumerable.Repeat("x", Columns[schema].Length + 2))
                    : $"{i}," + string.Join(',', Columns[schema].Select(c => fields![c] switch
                    {
                        null => "",
                        JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.String => Cell(v.GetValue<string>()),
                        var n => Cell(n.ToJsonString()),
                    }));
            }
            else
            {
                record = broken ? "{\"text\": \"unterminated" : fields!.ToJsonString();
            }

            if (r.Valid)
            {
                valid++;
            }
            else
            {
                bad.Add(line);
            }

            sb.Append(record).Append('\n');
            line += 1 + record.Count(c => c == '\n');
        }

        return (sb.ToString(), bad, valid);
    }

    [Fact]
    public void ValidationReportsExactlyTheMalformedRows()
    {
        Files.Sample(f =>
        {
            var (content, badLines, valid) = Build(f.Schema, f.Csv, f.Rows);
            var report = DataTestFiles.Validate(content);
            var reported = report.Errors.Select(e => e.Line!.Value).ToHashSet();
            Assert.True(badLines.SetEquals(reported), $"expected bad lines [{string.Join(",", badLines.Order())}], got [{string.Join(",", reported.Order())}]\n{content}");
            Assert.Equal(valid, report.ValidRows);
            Assert.Equal(f.Rows.Length, report.Rows);
            Assert.Equal(f.Csv ? DatasetFormat.Csv : DatasetFormat.JsonLines, report.Format);
            if (valid > 0)
            {
                Assert.Equal((DatasetSchema)f.Schema, report.Schema);
            }
        }, iter: 300);
    }
}
