import ParleyMUC
import Yams

// The `room_names` section: the options of `RoomNamePolicy` (Docs/RoomNamePolicy.md).
extension ConfigurationParser {
    /// The keys of `room_names`, registered in `sectionKeys`.
    static let roomNamesKeys = [
        "enabled", "refuse_email", "refuse_phone", "refuse_jid", "refuse_account_names", "allow", "deny_patterns",
        "minimum_length", "random_looking_only",
    ]

    /// The longest `minimum_length`: a localpart holds at most 1023 bytes (RFC 7622 §3.3).
    static let maximumRoomNameLength = 1023

    func parseRoomNames(_ node: Node, keyPath: String) -> RoomNamePolicy.Configuration {
        var roomNames = RoomNamePolicy.Configuration()
        guard let fields = self.fields(of: node, keyPath: keyPath, allowed: Self.keys(of: "room_names")) else {
            return roomNames
        }
        self.assign(fields, "enabled", to: &roomNames.enabled, self.bool)
        self.assign(fields, "refuse_email", to: &roomNames.refuseEmail, self.bool)
        self.assign(fields, "refuse_phone", to: &roomNames.refusePhone, self.bool)
        self.assign(fields, "refuse_jid", to: &roomNames.refuseJID, self.bool)
        self.assign(fields, "refuse_account_names", to: &roomNames.refuseAccountNames, self.bool)
        self.assign(fields, "allow", to: &roomNames.allow, self.roomNameList)
        self.assign(fields, "deny_patterns", to: &roomNames.denyPatterns, self.denyPatterns)
        self.assign(fields, "minimum_length", to: &roomNames.minimumLength) {
            self.integer($0, $1, in: 0...Self.maximumRoomNameLength)
        }
        self.assign(fields, "random_looking_only", to: &roomNames.randomLookingOnly, self.bool)
        return roomNames
    }

    /// `allow`: non-empty names; a name listed twice is a warning.
    private func roomNameList(_ node: Node, _ keyPath: String) -> [String]? {
        guard let items = self.list(node, keyPath) else { return nil }
        var names: [String] = []
        for (index, item) in items.enumerated() {
            let itemPath = "\(keyPath)[\(index)]"
            guard let name = self.string(item, itemPath) else { continue }
            if names.contains(name) {
                self.warning("'\(name)' is listed twice", at: item, keyPath: itemPath)
            } else {
                names.append(name)
            }
        }
        return names
    }

    /// `deny_patterns`: each must compile as an ICU regular expression; a bad one is an error at its position.
    private func denyPatterns(_ node: Node, _ keyPath: String) -> [String]? {
        guard let items = self.list(node, keyPath) else { return nil }
        var patterns: [String] = []
        for (index, item) in items.enumerated() {
            let itemPath = "\(keyPath)[\(index)]"
            guard let pattern = self.string(item, itemPath) else { continue }
            if let problem = RoomNamePolicy.Configuration.patternError(pattern) {
                self.error("'\(pattern)' is \(problem)", at: item, keyPath: itemPath)
            } else {
                patterns.append(pattern)
            }
        }
        return patterns
    }
}
