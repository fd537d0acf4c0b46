import ParleyCore
import ParleyXML

/// Jitsi's legacy start-muted shim (`mod_room_metadata_component`, hook on `muc-broadcast-presence`): a moderator's
/// presence carrying `<startmuted xmlns='http://jitsi.org/jitmeet/start-muted' audio='true' video='false'/>` (older
/// clients' way to set "everyone starts muted") sets the room metadata's `startMuted` to
/// `{"audio": true, "video": false}`, and everyone gets the metadata when that changes. Newer clients set the key
/// through the metadata component themselves.
extension RoomState {
    static let startMutedNamespace = "http://jitsi.org/jitmeet/start-muted"

    /// What `nick`'s presence update adds: the metadata broadcast when it is a moderator's with a changed
    /// `<startmuted/>`, nothing otherwise.
    mutating func startMutedShim(_ presence: Stanza, nick: String) -> [Stanza] {
        guard self.service.roomMetadataComponent != nil, self.occupants[nick]?.role == .moderator,
            let element = presence.body.child("startmuted", namespace: Self.startMutedNamespace)
        else { return [] }
        var value: [String: JSONValue] = [:]
        if case .object(let current)? = self.roomMetadataState.values["startMuted"] { value = current }
        value["audio"] = .bool(element[attribute: "audio"] == "true")
        value["video"] = .bool(element[attribute: "video"] == "true")
        return self.setRoomMetadata("startMuted", .object(value))
    }
}
