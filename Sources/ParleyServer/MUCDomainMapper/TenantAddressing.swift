import ParleyCore
import ParleyXML

/// One client session's side of `mod_muc_domain_mapper` (`MUCDomainMapper`): it maps what the client sends to a
/// tenant's virtual MUC domain to the real room, and what comes back from those rooms to the virtual form.
///
/// Only a session that has addressed a virtual domain gets answers mapped back: Jicofo, the bridge and the
/// recorder join the real `[tenant]room` and keep seeing it. Jitsi's module maps every session's output, so a
/// Jicofo on the same server sees virtual addresses from rooms it joined by their real ones; here each session
/// sees the form it used.
///
/// Owned by the session, on its event loop.
struct TenantAddressing: Sendable {
    let mapper: MUCDomainMapper
    /// The client has addressed a tenant's virtual MUC domain (or named one in a conference IQ).
    private(set) var isActive = false
    /// IQs to a virtual MUC domain itself (disco#info to `muc.acme.meet.jitsi`) awaiting their answer: the answer
    /// comes from the real domain and goes back from the virtual one. Oldest first, at most `maximumPending`.
    private var pending: [(id: String, virtual: JID)] = []
    /// Room-less IQs a client may have outstanding at once; older ones are forgotten (their answers then come
    /// from the real domain). Jitsi's module keeps them in one table for the whole server, unbounded.
    static let maximumPending = 32

    init(mapper: MUCDomainMapper) { self.mapper = mapper }

    /// A stanza from the client: `to`, and a conference IQ's `room` (`http://jitsi.org/protocol/focus`), mapped to
    /// the real form. An error for an address that has no real form; the stanza is then not to be routed.
    mutating func inbound(_ stanza: inout Stanza) -> StanzaError? {
        if let to = stanza.to {
            switch self.mapper.real(to) {
            case .unchanged: break
            case .unrepresentable: return Self.tooLong
            case .real(let real):
                self.isActive = true
                if to.localpart == nil, stanza.isIQRequest, let id = stanza.id {
                    self.pending.removeAll { $0.id == id }
                    if self.pending.count >= Self.maximumPending { self.pending.removeFirst() }
                    self.pending.append((id, to.domain))
                }
                stanza.to = real
            }
        }
        guard stanza.isIQRequest, let room = Self.conferenceRoom(of: stanza), let address = try? JID(room) else {
            return nil
        }
        switch self.mapper.real(address) {
        case .unchanged: return nil
        case .unrepresentable: return Self.tooLong
        case .real(let real):
            self.isActive = true
            Self.setConferenceRoom(of: &stanza, to: real.description)
            return nil
        }
    }

    /// A stanza for the client: `from` a tenant's real room, an answer to a room-less IQ, and the `room` of a
    /// conference IQ's answer, mapped back to the virtual form. Nothing else in payloads changes.
    mutating func outbound(_ stanza: inout Stanza) {
        guard self.isActive, let from = stanza.from else { return }
        if from.domainpart == self.mapper.mucDomain {
            if from.localpart == nil {
                if stanza.kind == .iq, !stanza.isIQRequest, let id = stanza.id,
                    let index = self.pending.firstIndex(where: { $0.id == id })
                {
                    stanza.from = self.pending[index].virtual
                    self.pending.remove(at: index)
                }
            } else if let virtual = self.mapper.virtual(from) {
                stanza.from = virtual
            }
            return
        }
        if stanza.kind == .iq, stanza.type == "result", let room = Self.conferenceRoom(of: stanza),
            let address = try? JID(room), let virtual = self.mapper.virtual(address)
        {
            Self.setConferenceRoom(of: &stanza, to: virtual.description)
        }
    }

    private static let tooLong = StanzaError(
        .jidMalformed,
        text: "The tenant and room name together are longer than a room address may be"
    )

    private static func conferenceRoom(of stanza: Stanza) -> String? {
        guard stanza.kind == .iq, let payload = stanza.payload, payload.name == "conference",
            payload.namespace == Namespace.focus
        else { return nil }
        return payload[attribute: "room"]
    }

    private static func setConferenceRoom(of stanza: inout Stanza, to room: String) {
        stanza.withElement { body in
            guard let index = body.children.firstIndex(where: { if case .element = $0 { true } else { false } }),
                case .element(var conference) = body.children[index]
            else { return }
            conference[attribute: "room"] = room
            body.children[index] = .element(conference)
        }
    }
}
