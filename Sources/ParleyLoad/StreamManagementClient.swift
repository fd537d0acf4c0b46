/// The client's side of XEP-0198 stream management, as Jitsi's web client runs it (lib-jitsi-meet enables it with
/// resumption right after bind, and goes on without waiting for `<enabled/>`): `--stream-management`.
///
/// Once the server's `<enabled/>` arrives, every stanza the client receives (`iq`, `message`, `presence`, §4) is
/// counted, and each `<r/>` is answered with `<a h='count'/>`, so that the server can drop what it keeps for the
/// client. Pure: the client sends what `received` asks for. Names are compared without prefixes and the namespace
/// is checked on the nonzas only, as `ElementView` does everywhere.
struct StreamManagementClient {
    /// What the client does with one element from the server.
    enum Event: Equatable {
        /// Not a stream-management nonza: the session handles it (a stanza was counted if enabled).
        case other
        /// `<enabled/>`: counting starts.
        case enabled
        /// `<r/>`: answer `<a h='h'/>`.
        case ackRequested(h: UInt32)
        /// Nothing to do: an `<a/>` from the server (the client never asks for one), or an `<r/>` before
        /// `<enabled/>`.
        case ignored
        /// `<failed/>`: the server refused to enable it.
        case failed
    }

    /// `<enable/>` has been sent.
    private(set) var requested = false
    /// `<enabled/>` has arrived.
    private(set) var active = false
    /// Stanzas received since `<enabled/>` (the `h` the client reports), modulo 2^32.
    private(set) var handled: UInt32 = 0

    /// The client sent `<enable/>`.
    mutating func enableSent() {
        self.requested = true
    }

    mutating func received(_ element: ElementView) -> Event {
        guard self.requested else { return .other }
        if element.isNamed("iq") || element.isNamed("presence") || element.isNamed("message") {
            if self.active { self.handled &+= 1 }
            return .other
        }
        guard element.attribute("xmlns", is: "urn:xmpp:sm:3") else { return .other }
        if element.isNamed("r") {
            return self.active ? .ackRequested(h: self.handled) : .ignored
        } else if element.isNamed("enabled") {
            self.active = true
            self.handled = 0
            return .enabled
        } else if element.isNamed("failed") {
            return .failed
        } else if element.isNamed("a") {
            return .ignored
        }
        return .other
    }
}
