import ParleyCore

/// What `RoomNamePolicy.evaluate(_:)` decided about a room name: `.allowed` or `.refused(category)`.
///
/// ```swift
/// let verdict = policy.evaluate("alice%40example.com")
/// if case .refused(let category) = verdict.decision {
///     throw category.stanzaError   // cancel/not-allowed, "room name looks like an e-mail address"
/// }
/// ```
///
/// Privacy: `description`, `debugDescription` and the reflection `dump` uses show the decision and the category,
/// never the name. Only `normalizedName` and `explanation` contain it; they are for `parley check-room`, which
/// runs locally, and must not go to a log.
public struct RoomNameVerdict: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    public enum Decision: Sendable, Hashable {
        case allowed
        case refused(RoomNameCategory)
    }

    public let decision: Decision
    let rule: RoomNameRule
    let part: RoomNameRule.Part
    let name: NormalizedRoomName

    /// The verdict of `rule`: refused when the rule has a category, else allowed.
    init(_ rule: RoomNameRule, part: RoomNameRule.Part, name: NormalizedRoomName) {
        self.decision = rule.category.map(Decision.refused) ?? .allowed
        self.rule = rule
        self.part = part
        self.name = name
    }

    public var isAllowed: Bool { self.decision == .allowed }

    /// The category of a refusal; nil when allowed.
    public var category: RoomNameCategory? {
        guard case .refused(let category) = self.decision else { return nil }
        return category
    }

    /// The `cancel/not-allowed` error to send for a refusal; nil when allowed.
    public var stanzaError: StanzaError? { self.category?.stanzaError }

    /// The name as the rules saw it: percent-decoded, NFKC, lower case, `[tenant]room`, without a room JID's
    /// domain. **Contains the name**: never log it.
    public var normalizedName: String { self.name.whole }

    /// Which rule decided, on which part, and why, in one sentence. **Contains the name**: for `parley check-room`
    /// only, never for logs or stanzas.
    public var explanation: String {
        var text = ""
        if let domain = self.name.roomJIDDomain {
            text = "read as a room JID on '\(domain)'; "
        }
        return text + self.reason
    }

    public var description: String {
        switch self.decision {
        case .allowed: "allowed"
        case .refused(let category): "refused (\(category.rawValue)): \(category.refusalText)"
        }
    }

    public var debugDescription: String { "RoomNameVerdict(\(self.description))" }

    /// Reflection (`dump`, `String(reflecting:)` of containers) shows the decision only, not the name.
    public var customMirror: Mirror {
        Mirror(self, children: ["decision": self.decision], displayStyle: .struct)
    }

    private var subject: String {
        switch self.part {
        case .whole: "'\(self.name.whole)'"
        case .room: "the room name '\(self.name.room)'"
        case .tenant: "the tenant '\(self.name.tenant ?? "")'"
        }
    }

    private var reason: String {
        switch self.rule {
        case .disabled:
            return "the room-name policy is off (room_names.enabled: false)"
        case .allowListed:
            return "\(self.subject) is on the allow list (room_names.allow), which overrides every rule"
        case .healthCheckRoom:
            return "\(self.subject) is a Jicofo health-check room (__jicofo-health-check-<hex>), exempt from the rules"
        case .noRuleMatched:
            return "no rule matched \(self.subject)"
        case .randomLooking(let kind):
            let shape =
                switch kind {
                case .hexIdentifier: "a hexadecimal identifier such as a UUID"
                case .mixedToken: "a token that mixes letters and digits with high entropy"
                case .wordChain: "a long chain of words like the names Jitsi generates"
                }
            return "no identifier rule matched, and \(self.subject) looks random: \(shape)"
        case .atSign:
            return "\(self.subject) has an '@' between a local part and a domain"
        case .mailProvider(let domain):
            return "\(self.subject) ends in the mail provider domain '\(domain)' after a local part "
                + "(Jitsi's client strips '@', so user@\(domain) arrives like this)"
        case .mailDomain(let domain):
            return "\(self.subject) is shaped like a domain under '.\(domain)', which is how user@example.\(domain) "
                + "arrives after Jitsi's client strips '@'"
        case .longLabelBeforeDomain(let domain):
            return "\(self.subject) ends in '.\(domain)' after \(EmailAddressDetector.minimumLabelBeforeOtherDomain) "
                + "or more letters and digits, like user@example.\(domain) with '@' stripped"
        case .phoneDigits(let digits):
            return "\(self.subject) is only digits and separators, with \(digits) digits "
                + "(\(PhoneNumberDetector.minimumDigits) to \(PhoneNumberDetector.maximumDigits) make a phone number)"
        case .phoneDigitRun(let digits):
            return "\(self.subject) contains a run of \(digits) digits "
                + "(\(PhoneNumberDetector.minimumEmbeddedDigits) to \(PhoneNumberDetector.maximumDigits) inside "
                + "a name make a phone number)"
        case .addressOnLocalDomain(let domain):
            return "\(self.subject) is an address on this server's domain '\(domain)'"
        case .fullJID:
            return "\(self.subject) has the shape of a full JID, local@domain/resource"
        case .localDomainSuffix(let domain):
            return "\(self.subject) ends with this server's domain '\(domain)' "
                + "(user@\(domain) with '@' stripped)"
        case .localDomain(let domain):
            return "\(self.subject) is this server's domain '\(domain)'"
        case .accountName:
            return "\(self.subject) is the username of an account on this server"
        case .denyPattern(let pattern):
            return "\(self.subject) matches the deny pattern '\(pattern)' (room_names.deny_patterns)"
        case .tooShort(let length, let minimum):
            return "\(self.subject) has \(length) characters, fewer than room_names.minimum_length (\(minimum))"
        case .notRandom:
            return "room_names.random_looking_only is on, and \(self.subject) is neither a hexadecimal "
                + "identifier, nor a token mixing letters and digits, nor a long word chain like Jitsi's "
                + "generated names"
        }
    }
}
