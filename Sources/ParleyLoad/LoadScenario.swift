/// What the clients of a run do (Docs/Load.md).
public enum LoadScenario: String, CaseIterable, Sendable {
    /// Connect, authenticate, bind, leave: logins per second.
    case login
    /// Log in and join rooms of `roomSize`; everyone stays until the last has joined.
    case join
    /// Every client joins one room: the cost of a big room growing.
    case fill
    /// Rooms of `roomSize` fill, then every occupant sends `updates` presence updates, each after the echo of the
    /// previous one; every delivered presence is counted.
    case fanout
    /// Join rooms of `roomSize`, then hold the sessions idle for `hold` seconds (server memory per session).
    case idle
    /// The Jitsi participant join: the conference IQ to the focus address, `ready='true'` back, then the join.
    case jitsi

    public var summary: String {
        switch self {
        case .login: return "login storm: connect, authenticate, bind, leave"
        case .join: return "join storm: log in and join rooms of --room-size"
        case .fill: return "big-room fill: every client joins one room"
        case .fanout: return "presence fan-out: rooms fill, then each occupant sends --updates presence updates"
        case .idle: return "idle hold: join, then hold the sessions for --hold seconds"
        case .jitsi: return "Jitsi join: conference IQ to the focus, then the MUC join"
        }
    }

    /// Whether clients join a room (all but `login`).
    public var joinsRoom: Bool { self != .login }

    /// The operation counted and timed in the first phase.
    public var operationName: String { self == .login ? "login" : "join" }
}
