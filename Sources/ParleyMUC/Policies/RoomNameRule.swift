/// The rule behind a `RoomNameVerdict`, with what `explanation` needs to say which rule matched and why.
enum RoomNameRule: Sendable, Hashable {
    // Allowed.
    case disabled
    case allowListed
    case healthCheckRoom
    case noRuleMatched
    case randomLooking(RandomnessEstimator.Kind)

    // E-mail address.
    case atSign
    case mailProvider(String)
    case mailDomain(String)
    case longLabelBeforeDomain(String)

    // Phone number.
    case phoneDigits(Int)
    case phoneDigitRun(Int)

    // XMPP address.
    case addressOnLocalDomain(String)
    case fullJID
    case localDomainSuffix(String)
    case localDomain(String)

    // The other categories.
    case accountName
    case denyPattern(String)
    case tooShort(length: Int, minimum: Int)
    case notRandom

    /// The part of a name a rule looked at.
    enum Part: Sendable, Hashable {
        /// The whole normalised name, `[tenant]room` or `room`.
        case whole
        case room
        case tenant
    }
}

extension RoomNameRule {
    /// The category a refusing rule stands for; nil for the rules that allow.
    var category: RoomNameCategory? {
        switch self {
        case .disabled, .allowListed, .healthCheckRoom, .noRuleMatched, .randomLooking: nil
        case .atSign, .mailProvider, .mailDomain, .longLabelBeforeDomain: .emailAddress
        case .phoneDigits, .phoneDigitRun: .phoneNumber
        case .addressOnLocalDomain, .fullJID, .localDomainSuffix, .localDomain: .xmppAddress
        case .accountName: .accountName
        case .denyPattern: .denyPattern
        case .tooShort: .tooShort
        case .notRandom: .notRandom
        }
    }
}
