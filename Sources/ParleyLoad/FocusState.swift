/// What the emulated focus (Jicofo) remembers: the rooms it has joined, and the conference IQs waiting for a room
/// it is still joining.
///
/// Jicofo answers a conference IQ only once it is in the room (`ready='true'`); the same holds here, so the first
/// participant of a room waits for the focus's join, and the others are answered at once.
final class FocusState {
    enum Room {
        /// Join presence sent; requests (raw `id` and `from` values) wait for the focus's own presence.
        case joining([(id: [UInt8], from: [UInt8])])
        case ready
    }

    var rooms: [Int: Room] = [:]
    /// Conference IQs answered.
    var answered = 0

    init() {}
}
