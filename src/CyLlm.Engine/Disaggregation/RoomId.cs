namespace CyLlm.Engine.Disaggregation;

/// <summary>The <c>bootstrap_room</c> id a router gives one request so its prefill and decode workers can meet.</summary>
public readonly record struct RoomId(ulong Value)
{
    public override string ToString() => $"room#{Value}";
}
