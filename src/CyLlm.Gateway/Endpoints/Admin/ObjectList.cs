namespace CyLlm.Gateway.Endpoints.Admin;

/// <summary>OpenAI's list envelope: <c>{"object":"list","data":[…]}</c>.</summary>
public sealed record ObjectList<T>(string Object, IReadOnlyList<T> Data)
{
    public static ObjectList<T> Of(IReadOnlyList<T> data) => new("list", data);
}
