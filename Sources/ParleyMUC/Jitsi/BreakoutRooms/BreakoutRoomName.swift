import Foundation

/// The node of a breakout room on the breakout MUC domain: the main room's node, `_`, and a random UUID
/// (`weeklysync_1b4e28ba-2fa1-11d2-883f-0016d3cca427@breakout.meet.jitsi`).
///
/// Jitsi's `mod_muc_breakout_rooms` names a breakout room with the UUID alone and keeps a table from breakout room
/// to main room. Parley puts the main room's node in front, so a stanza to a breakout room finds its main room, and
/// the room-name policy judges the main part, from the name alone. The UUID stays what authorises a breakout room
/// (Jitsi: "Authorisation of breakout rooms is done by their random uuid name"): only names a main room listed are
/// ever created.
public struct BreakoutRoomName: Sendable, Hashable {
    /// The main room's node (`weeklysync`, `[acme]weeklysync`).
    public let mainRoom: String
    /// The UUID, lower case.
    public let id: String

    /// The longest node a JID may have (RFC 7622 §3.3: 1023 bytes).
    static let maxNodeBytes = 1023
    /// `_` and a UUID's 36 characters.
    static let suffixBytes = 37

    public var node: String { "\(self.mainRoom)_\(self.id)" }

    /// Reads a breakout room's node; nil when it is not `<main>_<uuid>`.
    public init?(node: String) {
        let bytes = Array(node.utf8)
        guard bytes.count > Self.suffixBytes, bytes.count <= Self.maxNodeBytes else { return nil }
        let split = bytes.count - Self.suffixBytes
        guard bytes[split] == UInt8(ascii: "_") else { return nil }
        let uuid = bytes[(split + 1)...]
        for (offset, byte) in uuid.enumerated() {
            let isHyphen = offset == 8 || offset == 13 || offset == 18 || offset == 23
            if isHyphen {
                guard byte == UInt8(ascii: "-") else { return nil }
            } else {
                let isDigit = byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
                let isHexLetter = byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f")
                guard isDigit || isHexLetter else { return nil }
            }
        }
        guard let main = String(bytes: bytes[..<split], encoding: .utf8),
            let id = String(bytes: uuid, encoding: .utf8)
        else { return nil }
        self.mainRoom = main
        self.id = id
    }

    /// A new breakout room of `mainRoom` with a random UUID; nil when the node would be longer than a JID allows.
    static func make(mainRoom: String) -> BreakoutRoomName? {
        guard mainRoom.utf8.count + Self.suffixBytes <= Self.maxNodeBytes else { return nil }
        return BreakoutRoomName(node: "\(mainRoom)_\(UUID().uuidString.lowercased())")
    }
}
