using System.Text.Json;
using System.Text.Json.Nodes;

namespace CyLlm.ChatTemplates.Tests;

/// <summary>The public surface: variables of every supported CLR shape, immutability and thread safety.</summary>
public class ApiTests
{
    private static readonly ChatMessage[] Chat = [new("user", "Hi")];

    private static string R(string template, IReadOnlyDictionary<string, object?> variables) =>
        ChatTemplate.Parse(template).Render(Chat, new ChatTemplateOptions { Variables = variables });

    [Fact]
    public void Clr_values_become_template_values()
    {
        var vars = new Dictionary<string, object?>
        {
            ["i"] = 3,
            ["l"] = 4L,
            ["b"] = (byte)5,
            ["u"] = ulong.MaxValue,
            ["d"] = 0.5,
            ["m"] = 1.25m,
            ["c"] = 'z',
            ["n"] = null,
            ["t"] = true,
            ["list"] = new List<int> { 1, 2 },
            ["arr"] = new[] { "a", "b" },
            ["dict"] = new Dictionary<string, object?> { ["k"] = new[] { 1 } },
            ["ro"] = (IReadOnlyDictionary<string, object?>)new Dictionary<string, object?> { ["r"] = "v" },
            ["msg"] = new ChatMessage("tool", "42", "calc"),
        };
        Assert.Equal(
            "3 4 5 1.8446744073709552e+19 0.5 1.25 z None True [1, 2] ['a', 'b'] {'k': [1]} v {'role': 'tool', 'content': '42', 'name': 'calc'}",
            R("{{ i }} {{ l }} {{ b }} {{ u }} {{ d }} {{ m }} {{ c }} {{ n }} {{ t }} {{ list }} {{ arr }} {{ dict }} {{ ro.r }} {{ msg }}", vars));
        Assert.Equal("True True", R("{{ i is integer }} {{ d is float }}", vars));
    }

    [Fact]
    public void Json_elements_and_nodes_become_template_values()
    {
        using var doc = JsonDocument.Parse("""{"tools": [{"type": "function", "function": {"name": "f", "n": 1, "x": 1.5, "ok": false, "z": null}}]}""");
        var vars = new Dictionary<string, object?>
        {
            ["tools"] = doc.RootElement.GetProperty("tools"),
            ["node"] = JsonNode.Parse("""{"a": [1, "two"]}"""),
        };
        Assert.Equal(
            """[{"type": "function", "function": {"name": "f", "n": 1, "x": 1.5, "ok": false, "z": null}}] two""",
            R("{{ tools | tojson }} {{ node.a[1] }}", vars));
    }

    [Fact]
    public void Variables_override_the_built_in_ones()
    {
        Assert.Equal("custom", R("{{ bos_token }}", new Dictionary<string, object?> { ["bos_token"] = "custom" }));
    }

    [Fact]
    public void Templates_cannot_change_the_callers_data()
    {
        var list = new List<object?> { 1 };
        var vars = new Dictionary<string, object?> { ["xs"] = list };
        Assert.Equal("[1, 2]", R("{% set ys = xs + [2] %}{{ ys }}", vars));
        Assert.Single(list);
    }

    [Fact]
    public void Pathologically_nested_variables_are_rejected()
    {
        object? deep = "leaf";
        for (int i = 0; i < 100; i++)
        {
            deep = new[] { deep };
        }

        Assert.Throws<ArgumentException>(() => R("{{ v }}", new Dictionary<string, object?> { ["v"] = deep }));
    }

    [Fact]
    public void One_parsed_template_renders_concurrently()
    {
        var template = ChatTemplate.Parse(TestData.Read("templates/qwen2.jinja"));
        string expected = template.Render(TestData.Conversation("full"));
        var results = new string[64];
        Parallel.For(0, results.Length, i => results[i] = template.Render(TestData.Conversation("full")));
        Assert.All(results, r => Assert.Equal(expected, r));
    }

    [Fact]
    public void Source_is_kept_verbatim()
    {
        const string source = "{{ 'x' }}\r\n";
        Assert.Equal(source, ChatTemplate.Parse(source).Source);
    }
}
