/// Which event loops run the clients.
public enum LoadEngine: String, CaseIterable, Sendable {
    /// `raw` for plain TCP, `nio` for the rest.
    case auto
    /// The generator's own epoll loop (`RawEventLoop`): plain TCP only, the cheapest per client.
    case raw
    /// SwiftNIO event loops: every transport.
    case nio
}
