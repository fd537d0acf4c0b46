import ParleyCore

/// What a join policy decides.
public enum JoinVerdict: Sendable, Equatable {
    /// This policy lets the join through; the next one is asked.
    case admit
    /// The join is refused with this error, sent back as a presence error from the occupant JID (§7.2.6).
    case refuse(StanzaError)
    /// The join waits in the room's queue and is tried again later (Jitsi's `jicofo_lock`: until focus is in).
    case hold
    /// The join may pass as a member: the later policies see it as one, and the room makes it a member when it is
    /// admitted (Jitsi's lobby for the password, the focus and its whitelist).
    case admitAsMember
}
