import ParleyCore
import ParleyMUC

/// How the control API shows rooms and sessions as JSON (`GET /control/rooms`, `GET /control/sessions`). Pure.
enum ControlSnapshot {
    /// A room: its occupants in join order (nick, occupant JID, real JID and sessions, role, affiliation), its
    /// affiliations, its configuration (whether it has a password, never the password), and Jitsi's focus lock.
    ///
    /// ```json
    /// {"jid": "abc@muc.meet.jitsi", "meeting_id": "…", "occupant_count": 2, "locked": false,
    ///  "occupants": [{"nick": "focus", "role": "moderator", "affiliation": "owner", …}], "affiliations": {…},
    ///  "configuration": {"members_only": false, "password_protected": false, …},
    ///  "focus_lock": {"enabled": true, "focus_joined": true, "queued_joins": 0}}
    /// ```
    static func room(_ state: RoomState, service: MUCServiceConfiguration) -> JSONValue {
        let facts = state.occupantFacts
        let occupants: [JSONValue] = state.nicksInJoinOrder.compactMap { nick in
            guard let occupant = facts[nick] else { return nil }
            return .object([
                "nick": .string(nick),
                "occupant_jid": .string((state.occupants[nick]?.jid ?? state.jid).description),
                "jid": .string(occupant.realJID.description),
                "sessions": .array(occupant.sessions.map { .string($0.description) }),
                "role": .string(occupant.role.rawValue),
                "affiliation": .string(occupant.affiliation.rawValue),
            ])
        }
        var affiliations: [String: JSONValue] = [:]
        for (jid, affiliation) in state.affiliations { affiliations[jid.description] = .string(affiliation.rawValue) }
        let configuration = state.configuration
        return .object([
            "jid": .string(state.jid.description),
            "meeting_id": .string(state.meetingID),
            "created": .number(Double(state.createdMillis)),
            "occupant_count": .number(Double(state.occupants.count)),
            "locked": .bool(state.locked),
            "occupants": .array(occupants),
            "affiliations": .object(affiliations),
            "configuration": .object([
                "name": .string(configuration.name),
                "description": .string(configuration.description),
                "whois": .string(configuration.whois.rawValue),
                "password_protected": .bool(configuration.password != nil),
                "members_only": .bool(configuration.membersOnly),
                "max_occupants": configuration.maxOccupants.map { .number(Double($0)) } ?? .null,
                "public": .bool(configuration.publicRoom),
                "history_length": .number(Double(configuration.historyLength)),
                "change_subject": .bool(configuration.changeSubject),
            ]),
            "focus_lock": .object([
                "enabled": .bool(service.focusLock),
                "focus_nick": .string(service.focusNick),
                "focus_joined": .bool(state.focusJoined),
                "queued_joins": .number(Double(state.queuedJoinCount)),
            ]),
        ])
    }

    /// A session: its full JID, whether it is available, and its priority.
    static func session(_ session: SessionHandle) -> JSONValue {
        .object([
            "jid": .string(session.jid.description),
            "available": .bool(session.isAvailable),
            "priority": .number(Double(session.priority)),
        ])
    }
}
