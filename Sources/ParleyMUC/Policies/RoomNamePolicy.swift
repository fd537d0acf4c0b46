/// Refuses room names that identify a person: e-mail addresses, phone numbers, XMPP addresses on this server,
/// the usernames of its accounts, and the operator's deny patterns; optionally too-short or non-random names.
///
/// Jitsi's GDPR guidance is that room names must not be user identifiers: a room name travels in URLs, nginx
/// logs, MUC JIDs, the conference IQ and Colibri (Docs/RoomNamePolicy.md). The policy is a value, evaluated on
/// every conference IQ to the focus proxy, MUC creation and join (every MUC domain, tenants included) and on the
/// `?room=` parameter of BOSH and WebSocket. A refusal is `cancel/not-allowed` naming the category:
///
/// ```
/// <presence type='error' from='aliceexample.com@muc.meet.jitsi/3c7a' to='3c7a@meet.jitsi/b2'>
///   <error type='cancel'><not-allowed xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>
///     <text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>room name looks like an e-mail address</text></error>
/// </presence>
/// ```
///
/// The policy has no logger: it never writes a name anywhere, and `RoomNameVerdict.description` leaves the name
/// out. `evaluate` reads bytes and allocates only for names that need decoding, so it costs a few microseconds.
///
/// Order: `enabled`; the allow list; Jicofo's health-check rooms; then for the room part and then the tenant,
/// XMPP address, e-mail address, phone number, account name, deny patterns; then `minimum_length` and
/// `random_looking_only` on the room part.
public struct RoomNamePolicy: Sendable {
    public let configuration: Configuration
    private let localDomains: [String]
    private let mucDomains: [String]?
    private let breakoutDomains: [String]
    private let addresses: XMPPAddressDetector
    private let allowed: Set<String>
    private let denyPatterns: [RoomNameDenyPattern]
    private let isAccountName: @Sendable (String) -> Bool

    /// A policy.
    ///
    /// - Parameters:
    ///   - localDomains: every domain of this server, hosts and components (`meet.jitsi`, `auth.meet.jitsi`,
    ///     `muc.meet.jitsi`…). Names that end with one are XMPP addresses.
    ///   - mucDomains: the MUC domains. `evaluate` reads `room@domain` as a room JID, and drops the domain, only
    ///     for these (and for their virtual tenant form `muc.<tenant>.meet.jitsi`); nil (the default) accepts
    ///     any local domain and its subdomains, so `user@meet.jitsi` is then read as the room `user`.
    ///   - breakoutDomains: Jitsi's breakout MUC domains. A breakout room's JID there
    ///     (`weeklysync_<uuid>@breakout.meet.jitsi`, `BreakoutRoomName`) is judged by its main room's name: the
    ///     server made the UUID, so only the main part can identify anyone.
    ///   - isAccountName: whether a normalised name is the username of an account on this server. Called at most
    ///     twice per evaluation (room and tenant), after the cheaper rules.
    public init(
        configuration: Configuration,
        localDomains: [String],
        mucDomains: [String]? = nil,
        breakoutDomains: [String] = [],
        isAccountName: @escaping @Sendable (String) -> Bool
    ) {
        self.configuration = configuration
        self.localDomains = Self.prepare(localDomains)
        self.breakoutDomains = Self.prepare(breakoutDomains)
        self.mucDomains = mucDomains.map { Self.prepare($0 + breakoutDomains) }
        self.addresses = XMPPAddressDetector(localDomains: localDomains)
        self.allowed = Set(
            configuration.allow.map { NormalizedRoomName($0, roomDomain: { _ in (false, nil) }).whole }
        )
        self.denyPatterns = configuration.denyPatterns.map(RoomNameDenyPattern.init)
        self.isAccountName = isAccountName
    }

    /// Judges a MUC room localpart as it arrives on the wire (`weekly-standup`, `caf%c3%a9`, `[acme]standup`)
    /// or a room bare JID (`weekly-standup@muc.meet.jitsi`, the conference IQ's `room` attribute).
    public func evaluate(_ roomName: String) -> RoomNameVerdict {
        let name = NormalizedRoomName(self.mainRoomName(of: roomName), roomDomain: self.roomDomain)
        guard self.configuration.enabled else {
            return RoomNameVerdict(.disabled, part: .whole, name: name)
        }
        if !self.allowed.isEmpty, self.allowed.contains(name.whole) {
            return RoomNameVerdict(.allowListed, part: .whole, name: name)
        }
        if name.tenant == nil, Self.isHealthCheckRoom(name.room) {
            return RoomNameVerdict(.healthCheckRoom, part: .room, name: name)
        }

        let roomAllowed = !self.allowed.isEmpty && self.allowed.contains(name.room)
        if !roomAllowed, let rule = self.identifierRule(name.room, isTenant: false) {
            return RoomNameVerdict(rule, part: .room, name: name)
        }
        if let tenant = name.tenant, !self.allowed.contains(tenant),
            let rule = self.identifierRule(tenant, isTenant: true)
        {
            return RoomNameVerdict(rule, part: .tenant, name: name)
        }
        if roomAllowed {
            return RoomNameVerdict(.allowListed, part: .room, name: name)
        }

        let minimum = self.configuration.minimumLength
        if minimum > 0 {
            let length = name.room.count
            if length < minimum {
                return RoomNameVerdict(.tooShort(length: length, minimum: minimum), part: .room, name: name)
            }
        }
        if self.configuration.randomLookingOnly {
            var room = name.room
            guard let kind = room.withUTF8(RandomnessEstimator.classify) else {
                return RoomNameVerdict(.notRandom, part: .room, name: name)
            }
            return RoomNameVerdict(.randomLooking(kind), part: .room, name: name)
        }
        return RoomNameVerdict(.noRuleMatched, part: name.tenant == nil ? .room : .whole, name: name)
    }

    // MARK: - Rules

    /// The first identifier rule that matches one part: XMPP address, e-mail, phone, account name, deny pattern.
    private func identifierRule(_ part: String, isTenant: Bool) -> RoomNameRule? {
        var text = part
        let builtIn = text.withUTF8 { bytes -> RoomNameRule? in
            guard isTenant, bytes.contains(RoomNameBytes.underscore) else { return self.detectIdentifier(bytes) }
            // docker-jitsi-meet's web config turns a tenant's dots into `_` (`muc.<tenant>.meet.jitsi`), so the
            // tenant `aliceexample_com` is read as `aliceexample.com`.
            let dotted = bytes.map { $0 == RoomNameBytes.underscore ? RoomNameBytes.dot : $0 }
            return dotted.withUnsafeBufferPointer(self.detectIdentifier)
        }
        if let builtIn { return builtIn }
        if self.configuration.refuseAccountNames, !part.isEmpty, self.isAccountName(part) {
            return .accountName
        }
        if let pattern = self.denyPatterns.first(where: { $0.matches(part) }) {
            return .denyPattern(pattern.source)
        }
        return nil
    }

    private func detectIdentifier(_ bytes: UnsafeBufferPointer<UInt8>) -> RoomNameRule? {
        if self.configuration.refuseJID, let rule = self.addresses.detect(bytes) { return rule }
        if self.configuration.refuseEmail, let rule = EmailAddressDetector.detect(bytes) { return rule }
        if self.configuration.refusePhone, let rule = PhoneNumberDetector.detect(bytes) { return rule }
        return nil
    }

    /// Jicofo's health-check rooms: `__jicofo-health-check-` and a hexadecimal long (jicofo `Health.java`,
    /// `ROOM_NAME_PREFIX`; Prosody's `is_healthcheck_room` in jitsi-meet `util.lib.lua` tests the prefix).
    static func isHealthCheckRoom(_ room: String) -> Bool {
        let prefix = "__jicofo-health-check"
        guard room.hasPrefix(prefix) else { return false }
        let suffix = room.utf8.dropFirst(prefix.utf8.count)
        guard let first = suffix.first else { return true }
        let digits = suffix.dropFirst()
        return first == RoomNameBytes.hyphen && (1...16).contains(digits.count)
            && digits.allSatisfy(RoomNameBytes.isHexDigit)
    }

    // MARK: - Room JIDs

    /// A breakout room's JID becomes its main room's node; any other name is returned as it is.
    private func mainRoomName(of roomName: String) -> String {
        // The "@" found among the UTF-8 bytes: a search by Character segments the whole name (~5,800 instructions).
        guard !self.breakoutDomains.isEmpty, let at = roomName.utf8.lastIndex(of: UInt8(ascii: "@")) else {
            return roomName
        }
        let domain = roomName[roomName.utf8.index(after: at)...].lowercased()
        guard self.breakoutDomains.contains(domain), let name = BreakoutRoomName(node: String(roomName[..<at])) else {
            return roomName
        }
        return name.mainRoom
    }

    /// Whether `domain` (lower-cased) is a MUC domain, so that `room@domain` is a room JID; and the tenant when
    /// it is a virtual tenant domain `muc.<tenant>.meet.jitsi` (jitsi-meet `mod_muc_domain_mapper`).
    private func roomDomain(_ domain: String) -> (isRoomDomain: Bool, tenant: Substring?) {
        let known = self.mucDomains ?? self.localDomains
        if known.contains(domain) { return (true, nil) }
        if let firstDot = domain.firstIndex(of: "."),
            let secondDot = domain[domain.index(after: firstDot)...].firstIndex(of: ".")
        {
            let tenant = domain[domain.index(after: firstDot)..<secondDot]
            let base = "\(domain[..<firstDot]).\(domain[domain.index(after: secondDot)...])"
            if !tenant.isEmpty, known.contains(base) { return (true, tenant) }
        }
        if self.mucDomains == nil, self.localDomains.contains(where: { domain.hasSuffix(".\($0)") }) {
            return (true, nil)
        }
        return (false, nil)
    }

    private static func prepare(_ domains: [String]) -> [String] {
        domains.map { domain in
            var lowered = domain.lowercased()
            while lowered.hasSuffix(".") { lowered.removeLast() }
            return lowered
        }.filter { !$0.isEmpty }
    }
}
