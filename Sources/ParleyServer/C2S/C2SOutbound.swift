import ParleyCore

/// What other parts of the server write into a c2s channel.
public enum C2SOutbound: Sendable {
    /// A stanza for the client.
    case stanza(Stanza)
    /// End the stream, with a stream error when given.
    case close(StreamError?)
}
