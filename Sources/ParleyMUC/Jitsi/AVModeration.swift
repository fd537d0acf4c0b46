import ParleyCore
import ParleyXML

/// A room's audio/video moderation (Jitsi's `mod_av_moderation_component`), in memory with the room: for each
/// media type a moderator turned on, who turned it on and the occupants approved to unmute (their occupant JIDs,
/// in approval order). Nothing of it outlives the room.
public struct AVModeration: Sendable, Equatable {
    /// The media types lib-jitsi-meet moderates (`MediaType` in its AVModeration module).
    public enum MediaType: String, Sendable, CaseIterable, Comparable {
        case audio, video, desktop

        public static func < (a: MediaType, b: MediaType) -> Bool { a.rawValue < b.rawValue }
    }

    /// Approved occupant JIDs by media type; a media type is moderated exactly when it has an entry.
    public internal(set) var whitelists: [MediaType: [String]] = [:]
    /// The nick of the moderator who turned each media type's moderation on.
    public internal(set) var actors: [MediaType: String] = [:]

    public init() {}

    /// True while any media type is moderated.
    public var isActive: Bool { !self.whitelists.isEmpty }

    public func isModerated(_ mediaType: MediaType) -> Bool { self.whitelists[mediaType] != nil }
}

/// A command lib-jitsi-meet sends to the component: `<message to='avmoderation.meet.jitsi'><av_moderation
/// enable='true' mediaType='audio'/></message>`, or `jidToWhitelist` / `jidToBlacklist` with an occupant JID.
public enum AVModerationCommand: Sendable, Equatable {
    case enable(AVModeration.MediaType, Bool)
    case approve(AVModeration.MediaType, occupant: JID)
    case reject(AVModeration.MediaType, occupant: JID)

    /// Reads the `<av_moderation/>` element; a clear `modify/bad-request` for anything else.
    public init(_ element: XMLElement) throws(StanzaError) {
        guard let mediaText = element[attribute: "mediaType"] else {
            throw StanzaError(.badRequest, text: "av_moderation needs a mediaType")
        }
        guard let mediaType = AVModeration.MediaType(rawValue: mediaText) else {
            throw StanzaError(.badRequest, text: "mediaType must be audio, video or desktop")
        }
        if let enable = element[attribute: "enable"] {
            guard enable == "true" || enable == "false" else {
                throw StanzaError(.badRequest, text: "enable must be true or false")
            }
            self = .enable(mediaType, enable == "true")
        } else if let text = element[attribute: "jidToWhitelist"] {
            self = .approve(mediaType, occupant: try Self.occupantJID(text))
        } else if let text = element[attribute: "jidToBlacklist"] {
            self = .reject(mediaType, occupant: try Self.occupantJID(text))
        } else {
            throw StanzaError(.badRequest, text: "av_moderation needs enable, jidToWhitelist or jidToBlacklist")
        }
    }

    private static func occupantJID(_ text: String) throws(StanzaError) -> JID {
        guard let jid = try? JID(text), jid.resourcepart != nil else {
            throw StanzaError(.jidMalformed, text: "Expected an occupant JID (room@service/nick)")
        }
        return jid
    }
}
