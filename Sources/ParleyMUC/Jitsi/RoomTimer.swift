import ParleyCore

/// A delayed action a room asks for: `RoomState` has no clock, so it lists the timers it wants
/// (`RoomState.wantedTimers`) and its owner (`MUCRoom`, on the room's loop) starts each one, stops one no longer
/// wanted, and calls `RoomState.timerFired` when one runs out.
public enum RoomTimer: Sendable, Hashable, CaseIterable {
    /// Jitsi's breakout rooms send the room list at most every 0.3 s (`BROADCAST_ROOMS_INTERVAL`).
    case breakoutRoomsUpdate
    /// Jitsi's breakout rooms close the conference 5 s after everyone left every room (`ROOMS_TTL_IF_ALL_LEFT`).
    case breakoutRoomsClose

    /// How long after it is started the timer runs out, in milliseconds.
    public var delayMillis: Int64 {
        switch self {
        case .breakoutRoomsUpdate: 300
        case .breakoutRoomsClose: 5000
        }
    }
}

extension RoomState {
    /// The timers the room wants running now.
    public var wantedTimers: Set<RoomTimer> { RoomState.timers(wantedBy: self.breakoutRoomsState) }

    /// What `wantedTimers` depends on, for a caller that must not copy the whole state to ask.
    static func timers(wantedBy breakoutRooms: BreakoutRooms) -> Set<RoomTimer> {
        var timers: Set<RoomTimer> = []
        if breakoutRooms.updateDue { timers.insert(.breakoutRoomsUpdate) }
        if breakoutRooms.closeDue { timers.insert(.breakoutRoomsClose) }
        return timers
    }

    /// `timer` ran out: what the room sends.
    public mutating func timerFired(_ timer: RoomTimer, nowMillis: Int64) -> [Stanza] {
        guard !self.destroyed else { return [] }
        self.clockMillis = nowMillis
        switch timer {
        case .breakoutRoomsUpdate: return self.breakoutRoomsUpdateFired()
        case .breakoutRoomsClose: return self.breakoutRoomsCloseFired()
        }
    }
}
