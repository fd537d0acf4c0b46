import ParleyCore

/// The nick must be usable as an occupant JID's resource and as a name others see: at most the service's
/// `maxNickBytes`, no leading or trailing space, no whitespace but the plain space. Otherwise
/// `modify/not-acceptable` (XEP-0045 §7.2.1 leaves nick rules to the service; Prosody refuses the same way).
public struct NicknamePolicy: JoinPolicy {
    public init() {}

    public func evaluate(_ join: JoinRequest, in room: RoomState) -> JoinVerdict {
        let nick = join.nick
        guard nick.utf8.count <= room.service.maxNickBytes,
            !nick.unicodeScalars.contains(where: { $0.properties.isWhitespace && $0 != " " }),
            nick.first != " ", nick.last != " "
        else {
            return .refuse(StanzaError(.notAcceptable, text: "Invalid nickname"))
        }
        return .admit
    }
}
