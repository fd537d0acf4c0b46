import ParleyCore

/// The room is full: `cancel/service-unavailable` (XEP-0045 §7.2.10), which lib-jitsi-meet shows as "the
/// meeting is full". The limit in force is the lowest of:
/// - the room's own `muc#roomconfig_maxusers`, which its owner sets;
/// - the service's `maxOccupants` (Jitsi's `muc_max_occupants`, docker's `MAX_PARTICIPANTS`): a hard cap that no
///   room owner can raise or lift;
/// - the service's `hardMaxOccupants`, a safety bound.
///
/// Exempt, neither counted nor refused (`mod_muc_max_occupants` with `muc_access_whitelist`): admins (focus) and
/// the service's `maxOccupantsExempt` accounts and domains (Jibri's recorder, Jigasi's transcriber).
public struct MaxOccupantsPolicy: JoinPolicy {
    public init() {}

    public func evaluate(_ join: JoinRequest, in room: RoomState) -> JoinVerdict {
        let limit = room.effectiveMaxOccupants
        // Fewer occupants than the limit, exempt or not: no need to count them (a join must not cost a pass over a
        // big room).
        if room.occupants.count < limit { return .admit }
        let service = room.service
        guard !service.isExemptFromMaxOccupants(join.from) else { return .admit }
        var counted = 0
        for occupant in room.occupants.values where !service.isExemptFromMaxOccupants(occupant.bareJID) {
            counted += 1
            if counted >= limit { break }
        }
        return counted < limit ? .admit : .refuse(StanzaError(.serviceUnavailable, text: "The room is full"))
    }
}
