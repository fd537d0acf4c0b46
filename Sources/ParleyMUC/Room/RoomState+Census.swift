import ParleyCore
import ParleyXML

extension RoomState {
    /// The occupants other than the conference focus (Jicofo, an admin under the service's focus nick), in no
    /// particular order: who Jitsi's `mod_muc_size` and `mod_muc_census` count as participants.
    public var participants: [Occupant] {
        self.occupants.values.filter { !self.isFocus($0) }
    }

    /// Whether `occupant` is the conference focus.
    public func isFocus(_ occupant: Occupant) -> Bool {
        occupant.nick == self.service.focusNick && self.service.isAdmin(occupant.bareJID)
    }
}

extension Occupant {
    /// The display name the occupant's presence carries (XEP-0172 `<nick/>`), if any.
    public var displayName: String? {
        self.payloadChild("nick", namespace: "http://jabber.org/protocol/nick")?.text
    }

    /// The e-mail address Jitsi's clients put in their presence (`<email/>`), if any.
    public var email: String? {
        self.payloadChild("email", namespace: Namespace.client)?.text
    }

    private func payloadChild(_ name: String, namespace: String) -> XMLElement? {
        for case .element(let element) in self.payload where element.name == name && element.namespace == namespace {
            return element
        }
        return nil
    }
}
