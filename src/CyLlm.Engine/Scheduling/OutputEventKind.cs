namespace CyLlm.Engine.Scheduling;

/// <summary>What the loop thread tells the <see cref="OutputProcessor"/> about a sequence.</summary>
internal enum OutputEventKind : byte
{
    /// <summary>A token phase 1 of the acceptance rule accepted.</summary>
    Token,

    /// <summary>The sequence left the loop (end token, length, cancellation, stop string acknowledged).</summary>
    Finish,

    /// <summary>The sequence's step failed.</summary>
    Fail,
}
