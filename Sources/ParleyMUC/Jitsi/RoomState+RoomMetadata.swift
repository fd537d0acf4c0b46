import Foundation
import ParleyCore
import ParleyXML

/// Jitsi's room metadata (`mod_room_metadata_component`, lib-jitsi-meet's `RoomMetadata`): moderators set keys, except
/// the server's own; every occupant gets the whole metadata as `<json-message xmlns='http://jitsi.org/jitmeet'
/// room='…'>{"type":"room_metadata","metadata":{…}}</json-message>` from the component when it joins and when it
/// changes. Admins (Jicofo) get the participant and moderator lists with it, as the module sends them (empty
/// here: no token lists them yet). The owner form has no `conference_presets_service_enabled`, so Jicofo never
/// waits for presets that will not come.
extension RoomState {
    /// Applies a moderator's update: the broadcast, or the error (`forbidden` for participants and blocked keys,
    /// `item-not-found` for non-occupants, `policy-violation` past the size bounds).
    public mutating func roomMetadata(
        _ command: RoomMetadataCommand,
        from requester: JID
    ) -> Result<[Stanza], StanzaError> {
        guard let component = self.service.roomMetadataComponent else {
            return .failure(StanzaError(.serviceUnavailable, text: "Room metadata is off"))
        }
        guard let occupant = self.occupant(of: requester) else {
            return .failure(StanzaError(.itemNotFound, text: "You are not in this meeting"))
        }
        guard occupant.role == .moderator else {
            return .failure(StanzaError(.forbidden, text: "Only moderators may change the room's metadata"))
        }
        guard !RoomMetadata.blockedKeys.contains(command.key) else {
            return .failure(StanzaError(.forbidden, text: "The key \(command.key) is set by the server only"))
        }
        guard self.roomMetadataState.values[command.key] != command.data else { return .success([]) }
        var next = self.roomMetadataState.values
        next[command.key] = command.data
        guard next.count <= RoomMetadata.maxKeys,
            JSONValue.text(.object(next)).utf8.count <= RoomMetadata.maxTotalBytes
        else {
            return .failure(StanzaError(.policyViolation, text: "The room's metadata would grow past its bounds"))
        }
        self.roomMetadataState.values = next
        self.roomMetadataState.cachedMessage = nil
        return .success(self.metadataBroadcast(from: component))
    }

    /// A server-side change (the lobby opening or closing): stored and sent to everyone.
    mutating func setRoomMetadata(_ key: String, _ value: JSONValue?) -> [Stanza] {
        guard let component = self.service.roomMetadataComponent, self.roomMetadataState.values[key] != value else {
            return []
        }
        self.roomMetadataState.values[key] = value
        self.roomMetadataState.cachedMessage = nil
        return self.metadataBroadcast(from: component)
    }

    /// A joiner gets the metadata.
    mutating func roomMetadataReaction(to event: RoomEvent) -> [Stanza] {
        guard case .occupantJoined(let nick) = event, let component = self.service.roomMetadataComponent,
            !(self.jid.localpart ?? "").hasPrefix("__jicofo-health-check"), let occupant = self.occupants[nick]
        else { return [] }
        return [self.metadataMessage(for: occupant, from: component)]
    }

    private mutating func metadataBroadcast(from component: JID) -> [Stanza] {
        self.order.compactMap { self.occupants[$0] }.map { self.metadataMessage(for: $0, from: component) }
    }

    private mutating func metadataMessage(for occupant: Occupant, from component: JID) -> Stanza {
        if self.service.isAdmin(occupant.bareJID) {
            var values = self.roomMetadataState.values
            values["moderators"] = .array([])
            return self.metadataTemplate(Self.metadataText(values), from: component).addressed(
                to: occupant.primarySession
            )
        }
        if let cached = self.roomMetadataState.cachedMessage { return cached.addressed(to: occupant.primarySession) }
        var template = self.metadataTemplate(Self.metadataText(self.roomMetadataState.values), from: component)
        template.prepareBroadcast()
        self.roomMetadataState.cachedMessage = template
        return template.addressed(to: occupant.primarySession)
    }

    private func metadataTemplate(_ text: String, from component: JID) -> Stanza {
        var message = XMLElement(name: "message", namespace: Namespace.client)
        var json = XMLElement(name: "json-message", namespace: "http://jitsi.org/jitmeet")
        json[attribute: "room"] = self.jid.description
        json.append(text: text)
        message.append(json)
        return Stanza(unchecked: message, kind: .message, from: component, to: nil)
    }

    private static func metadataText(_ values: [String: JSONValue]) -> String {
        JSONValue.text(.object(["type": .string("room_metadata"), "metadata": .object(values)]))
    }
}
