import ParleyCore

/// Only accounts of the service's `allowedDomains` may join its rooms: Jitsi's `mod_muc_filter_access` with
/// `muc_filter_whitelist`, which docker-jitsi-meet sets on the internal MUC to the auth domain, so only Jicofo,
/// the bridges, Jibri and Jigasi enter `jvbbrewery`, `jibribrewery` and `jigasibrewery`. Prosody's module drops
/// such presence silently; Parley answers `cancel/not-allowed` with a text, so the client learns why.
/// An empty `allowedDomains` admits every domain.
public struct DomainAccessPolicy: JoinPolicy {
    public init() {}

    public func evaluate(_ join: JoinRequest, in room: RoomState) -> JoinVerdict {
        Self.verdict(for: join.from, service: room.service)
    }

    /// The same check for a sender before any room exists (the service applies it before creating one).
    public static func verdict(for sender: JID, service: MUCServiceConfiguration) -> JoinVerdict {
        guard !service.allowedDomains.isEmpty, !service.allowedDomains.contains(sender.domainpart) else {
            return .admit
        }
        return .refuse(
            StanzaError(.notAllowed, type: .cancel, text: "Only accounts of this service's domains may join its rooms")
        )
    }
}
