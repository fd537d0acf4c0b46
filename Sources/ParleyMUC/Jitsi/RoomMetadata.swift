import Foundation
import ParleyCore
import ParleyXML

/// A room's metadata (Jitsi's `mod_room_metadata_component`): a key-value store of JSON values that moderators set
/// (the whiteboard, permissions, `startMuted`, the transcription state…) and every occupant receives whole, on
/// joining and on each change. In memory with the room; nothing outlives it.
public struct RoomMetadata: Sendable, Equatable {
    /// Keys that only the server sets (Jitsi's `room_metadata_blocked_keys` defaults).
    public static let blockedKeys: Set<String> = [
        "allownersEnabled", "asyncTranscription", "audioTranslationRequests", "conferencePresetsServiceEnabled",
        "dialinEnabled", "moderators", "participants", "participantsSoftLimit", "services", "transcriberType",
        "transcription", "visitorsEnabled",
    ]
    /// The largest update accepted (its JSON text), and the most the whole metadata may take: a client cannot make
    /// every joiner download megabytes.
    public static let maxUpdateBytes = 16 * 1024
    public static let maxTotalBytes = 64 * 1024
    public static let maxKeys = 64

    public internal(set) var values: [String: JSONValue] = [:]
    /// The message for `values` as every non-admin occupant gets it, serialized once per change and addressed per
    /// recipient (a joiner's copy costs no JSON encoding and no serialization).
    var cachedMessage: Stanza?

    public init() {}

    public static func == (a: RoomMetadata, b: RoomMetadata) -> Bool { a.values == b.values }
}

/// What lib-jitsi-meet's `RoomMetadata.setMetadata` sends: `<message to='metadata.meet.jitsi'><room_metadata
/// xmlns='http://jitsi.org/jitmeet' room='room@muc.meet.jitsi'>{"key":"…","data":…}</room_metadata></message>`.
public struct RoomMetadataCommand: Sendable, Equatable {
    public let room: JID
    public let key: String
    public let data: JSONValue

    /// Reads the element; `bad-request` or `policy-violation` (too large) with a text otherwise.
    public init?(message: XMLElement) throws(StanzaError) {
        guard
            let element = message.elements.first(where: {
                $0.name == "room_metadata" && $0.namespace == "http://jitsi.org/jitmeet"
            })
        else { return nil }
        guard let text = element[attribute: "room"], let room = try? JID(text), room.localpart != nil,
            room.resourcepart == nil
        else { throw StanzaError(.badRequest, text: "Expected the room's bare JID in room=") }
        let body = element.text
        guard body.utf8.count <= RoomMetadata.maxUpdateBytes else {
            throw StanzaError(
                .policyViolation,
                text: "A metadata update may have at most \(RoomMetadata.maxUpdateBytes) bytes"
            )
        }
        guard case .object(let fields)? = try? JSONDecoder().decode(JSONValue.self, from: Data(body.utf8)),
            case .string(let key)? = fields["key"], !key.isEmpty, key.utf8.count <= 128
        else { throw StanzaError(.badRequest, text: "Expected {\"key\": a name, \"data\": a value}") }
        guard let data = fields["data"], data != .null else {
            throw StanzaError(.badRequest, text: "A metadata update needs data")
        }
        self.room = room
        self.key = key
        self.data = data
    }
}
