import ParleyCore
import ParleyXML

/// Stanzas counted by session type and kind: the labels of Jitsi's `mod_measure_stanza_counts`
/// (`session_type` `c2s` or `c2s_unauthed`, `stanza_kind` `message`, `presence` or `iq`). Plain integers,
/// owned by one event loop (`LoopCounters`): counting is an add, with no lock and no atomic.
struct StanzaCounts: Sendable, Equatable {
    private var bound = Kinds()
    private var unbound = Kinds()

    struct Kinds: Sendable, Equatable {
        var message = 0
        var presence = 0
        var iq = 0

        mutating func add(_ kind: Stanza.Kind) {
            switch kind {
            case .message: self.message &+= 1
            case .presence: self.presence &+= 1
            case .iq: self.iq &+= 1
            }
        }

        subscript(kind: Stanza.Kind) -> Int {
            switch kind {
            case .message: self.message
            case .presence: self.presence
            case .iq: self.iq
            }
        }
    }

    mutating func add(_ kind: Stanza.Kind, bound: Bool) {
        if bound { self.bound.add(kind) } else { self.unbound.add(kind) }
    }

    /// Counts `element` when it is a stanza (`message`, `presence` or `iq` in `jabber:client`), as the Jitsi
    /// module does (it skips anything with another namespace: stream management, SASL, TLS).
    mutating func add(_ element: XMLElement, bound: Bool) {
        guard let kind = StanzaCounts.kind(of: element) else { return }
        self.add(kind, bound: bound)
    }

    /// Compared as strings, not through `Stanza.Kind(rawValue:)`, whose string switch costs several times more.
    static func kind(of element: XMLElement) -> Stanza.Kind? {
        guard element.namespace == Namespace.client else { return nil }
        let name = element.name
        if name == "presence" { return .presence }
        if name == "message" { return .message }
        if name == "iq" { return .iq }
        return nil
    }

    /// The count for one pair of labels.
    func count(sessionType: SessionType, kind: Stanza.Kind) -> Int {
        switch sessionType {
        case .c2s: self.bound[kind]
        case .c2sUnauthed: self.unbound[kind]
        }
    }

    static func + (lhs: StanzaCounts, rhs: StanzaCounts) -> StanzaCounts {
        var sum = lhs
        for kind in Stanza.Kind.allKinds {
            sum.bound.add(kind, times: rhs.bound[kind])
            sum.unbound.add(kind, times: rhs.unbound[kind])
        }
        return sum
    }

    /// Prosody's session types for a client: `c2s` once bound, `c2s_unauthed` before.
    enum SessionType: String, CaseIterable, Sendable {
        case c2s
        case c2sUnauthed = "c2s_unauthed"
    }
}

extension StanzaCounts.Kinds {
    fileprivate mutating func add(_ kind: Stanza.Kind, times: Int) {
        switch kind {
        case .message: self.message &+= times
        case .presence: self.presence &+= times
        case .iq: self.iq &+= times
        }
    }
}

extension Stanza.Kind {
    static let allKinds: [Stanza.Kind] = [.message, .presence, .iq]
}
