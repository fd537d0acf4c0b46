/// A long-lived relation to a room (XEP-0045 §5.2), ordered from least to most privileged.
public enum Affiliation: String, Sendable, Hashable, Comparable, CaseIterable {
    case outcast, none, member, admin, owner

    private var rank: Int {
        switch self {
        case .outcast: 0
        case .none: 1
        case .member: 2
        case .admin: 3
        case .owner: 4
        }
    }

    public static func < (a: Affiliation, b: Affiliation) -> Bool { a.rank < b.rank }

    /// The role an occupant with this affiliation gets on entering (XEP-0045 §5.1.2, unmoderated room).
    public var defaultRole: Role {
        switch self {
        case .owner, .admin: .moderator
        case .member, .none: .participant
        case .outcast: .none
        }
    }
}

/// A role within the current visit (XEP-0045 §5.1), ordered from least to most privileged.
public enum Role: String, Sendable, Hashable, Comparable, CaseIterable {
    case none, visitor, participant, moderator

    private var rank: Int {
        switch self {
        case .none: 0
        case .visitor: 1
        case .participant: 2
        case .moderator: 3
        }
    }

    public static func < (a: Role, b: Role) -> Bool { a.rank < b.rank }
}
