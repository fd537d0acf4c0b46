import ParleyCore
import ParleyXML

/// The lobby of a main room (Jitsi's `mod_muc_lobby_rooms`): a room on the lobby MUC domain
/// (`weeklysync@lobby.meet.jitsi`) where people knock while the main room is members-only, seen only by the main
/// room's moderators, who let them in (an invitation, which makes them members) or turn them away (a kick).
///
/// Parley keeps the lobby's state inside the main room's `RoomState`, so one event loop owns both and the lobby
/// always knows who moderates the main room; the lobby domain's stanzas are handed to the main room
/// (`RoomState.lobbyStanza`). It dies with the main room.
indirect enum LobbyRoom: Sendable {
    case open(RoomState)

    var state: RoomState {
        switch self {
        case .open(let state): state
        }
    }
}

/// Names Jitsi's lobby uses on the wire.
enum LobbyRoomsWire {
    static let namespace = "http://jitsi.org/jitmeet"
    static let notifyType = "lobby-notify"
    static let enabled = "LOBBY-ENABLED"
    static let granted = "LOBBY-ACCESS-GRANTED"
    static let denied = "LOBBY-ACCESS-DENIED"
    static let closedReason = "Lobby room closed."
}
