import ParleyCore
import ParleyMUC

/// How Jitsi's room components (end conference, audio/video moderation) find the room a command is for: the
/// conference MUC's room named by the sender's web session URL (`?room=&prefix=`, `WebSessionRoom`), as Jitsi's
/// modules use `jitsi_web_query_room` and `get_room_by_name_and_subdomain`. Each refusal is answered to the sender
/// with an error that says what is missing.
struct ConferenceRooms: Sendable {
    /// The conference MUC service.
    let service: MUCService

    /// The room and the sender's full JID, or nil once the sender has been told why not.
    func room(for stanza: Stanza, from session: SessionHandle?, router: StanzaRouter) -> (room: MUCRoom, sender: JID)? {
        guard let session, let from = stanza.from else {
            router.bounce(stanza, StanzaError(.notAllowed, text: "Only local sessions may send this"))
            return nil
        }
        guard let webRoom = session.webRoom else {
            router.bounce(
                stanza,
                StanzaError(.itemNotFound, text: "This session was not opened for a meeting (no ?room=)")
            )
            return nil
        }
        guard let room = self.service.room(webRoom.localpart(mainDomain: Self.mainDomain(ofMUC: self.service.domain)))
        else {
            router.bounce(stanza, StanzaError(.itemNotFound, text: "No such meeting"))
            return nil
        }
        return (room, from)
    }

    /// The room a command names in its `room` attribute (`room@muc.meet.jitsi`: speaker stats, room metadata) and the
    /// sender's full JID, or nil once the sender has been told why not.
    func room(
        named roomJID: JID,
        for stanza: Stanza,
        from session: SessionHandle?,
        router: StanzaRouter
    )
        -> (room: MUCRoom, sender: JID)?
    {
        guard session != nil, let sender = stanza.from else {
            router.bounce(stanza, StanzaError(.notAllowed, text: "Only local sessions may send this"))
            return nil
        }
        guard roomJID.domainpart == self.service.domain, let name = roomJID.localpart,
            let room = self.service.room(name)
        else {
            router.bounce(stanza, StanzaError(.itemNotFound, text: "No such meeting"))
            return nil
        }
        return (room, sender)
    }

    /// What every component does before reading a command: errors are dropped (no loops), IQ requests get
    /// `service-unavailable`, presence is ignored. True for a message to read.
    static func isCommand(_ stanza: Stanza, router: StanzaRouter) -> Bool {
        guard stanza.type != "error" else { return false }
        guard stanza.kind == .message else {
            if stanza.kind == .iq, stanza.isIQRequest { router.bounce(stanza, StanzaError(.serviceUnavailable)) }
            return false
        }
        return true
    }

    /// `muc.meet.jitsi` → `meet.jitsi`: the domain a tenant prefix is compared with.
    static func mainDomain(ofMUC domain: String) -> String {
        guard let dot = domain.firstIndex(of: ".") else { return domain }
        return String(domain[domain.index(after: dot)...])
    }
}
