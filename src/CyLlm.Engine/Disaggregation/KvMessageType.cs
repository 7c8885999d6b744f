namespace CyLlm.Engine.Disaggregation;

/// <summary>The type byte of a frame (docs/disaggregation.md). On the wire: values frozen.</summary>
public enum KvMessageType : byte
{
    RegisterBuffers = 1,
    Init = 2,
    Chunk = 3,
    Resume = 4,
    Abort = 5,
    Heartbeat = 6,
    BootstrapRegister = 16,
    BootstrapLookup = 17,
    BootstrapReply = 18,
    BootstrapUnregister = 19,

    /// <summary>Handshake, first frame each way on every connection: a 32-byte random nonce.</summary>
    Hello = 32,

    /// <summary>Handshake, second frame each way: HMAC-SHA256 over the peer's nonce (see <see cref="KvConnection.AuthenticateAsync"/>).</summary>
    Auth = 33,
}
