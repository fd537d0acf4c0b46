import ParleyCore
import ParleyXML

extension RoomState {
    /// A presence error from the occupant JID asked for, carrying the join's id (XEP-0045 §7.2.6).
    public static func presenceError(_ presence: Stanza, _ error: StanzaError) -> Stanza {
        var element = XMLElement(name: "presence", namespace: Namespace.client)
        if let id = presence.id { element[attribute: "id"] = id }
        element[attribute: "type"] = "error"
        element.append(XMLElement(name: "x", namespace: Namespace.muc))
        element.append(error.element)
        return Stanza(unchecked: element, kind: .presence, from: presence.to, to: presence.from)
    }
}
