extension RoomNamePolicy {
    /// The options of the room-name policy: the `room_names` section of Parley's configuration.
    ///
    /// ```yaml
    /// room_names:
    ///   enabled: true
    ///   refuse_email: true
    ///   refuse_phone: true
    ///   refuse_jid: true
    ///   refuse_account_names: true
    ///   allow: [acme.com]              # exact names, always allowed
    ///   deny_patterns: ['^emp[0-9]{6}$']  # ICU syntax, case-insensitive, partial match
    ///   minimum_length: 0              # 0: off
    ///   random_looking_only: false
    /// ```
    public struct Configuration: Sendable, Hashable {
        /// `enabled`: false allows every name.
        public var enabled: Bool
        /// `refuse_email`: refuse names that look like an e-mail address.
        public var refuseEmail: Bool
        /// `refuse_phone`: refuse names that look like a phone number.
        public var refusePhone: Bool
        /// `refuse_jid`: refuse addresses on this server's domains and full JIDs.
        public var refuseJID: Bool
        /// `refuse_account_names`: refuse the username of an account on this server.
        public var refuseAccountNames: Bool
        /// `allow`: names always allowed, compared after normalisation: `[tenant]room` as a whole, or one part.
        public var allow: [String]
        /// `deny_patterns`: regular expressions (ICU syntax, as `NSRegularExpression`), matched case-insensitively
        /// against the room part and the tenant; a match anywhere refuses (anchor with `^…$` for the whole part).
        public var denyPatterns: [String]
        /// `minimum_length`: the fewest characters the room part may have; 0 turns the check off.
        public var minimumLength: Int
        /// `random_looking_only`: allow only names that look random (`RandomnessEstimator`).
        public var randomLookingOnly: Bool

        public init(
            enabled: Bool = true,
            refuseEmail: Bool = true,
            refusePhone: Bool = true,
            refuseJID: Bool = true,
            refuseAccountNames: Bool = true,
            allow: [String] = [],
            denyPatterns: [String] = [],
            minimumLength: Int = 0,
            randomLookingOnly: Bool = false
        ) {
            self.enabled = enabled
            self.refuseEmail = refuseEmail
            self.refusePhone = refusePhone
            self.refuseJID = refuseJID
            self.refuseAccountNames = refuseAccountNames
            self.allow = allow
            self.denyPatterns = denyPatterns
            self.minimumLength = minimumLength
            self.randomLookingOnly = randomLookingOnly
        }

        /// Why `pattern` is not a valid deny pattern, or nil when it compiles. The configuration loader reports
        /// the message at the pattern's line and column.
        public static func patternError(_ pattern: String) -> String? {
            RoomNameDenyPattern.error(in: pattern)
        }
    }
}
