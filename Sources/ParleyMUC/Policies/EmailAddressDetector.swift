/// Finds e-mail addresses in a normalised room name, including the form Jitsi's client leaves after it strips
/// `@` from the URL path (`alice@example.com` arrives as `aliceexample.com`; jitsi-meet
/// `react/features/base/util/uri.ts`, `_ROOM_EXCLUDE_PATTERN`).
///
/// Rules, in order (Docs/RoomNamePolicy.md has the examples and the trade-offs):
///
/// 1. An `@` between two characters: `alice@example.com` (from `alice%40example.com`), `bob@host`.
/// 2. A well-known mail provider's domain after a local part: `bob.smithgmail.com`, `alice.proton.me`. Labels of
///    up to three characters (`me.com`, `pm.me`) need a separator before them (`tom.me.com`), since `acme.com`
///    is not `ac@me.com`.
/// 3. A *mail* top-level domain (`com`, `de`, `co.uk`…, see `mailTopLevelDomains`) after a label with at least
///    two letters: `aliceexample.com`, `j.doecompany.co.uk`, and also a bare domain such as `example.com`,
///    which cannot be told apart from a stripped address.
/// 4. Any other listed top-level domain (`io`, `dev`, `app`, `me`, `in`…: `otherTopLevelDomains`, which are also
///    words or popular project names) only after a run of at least 10 letters and digits:
///    `aliceexample.io` is refused, `weekly.dev`, `my.app` and `check.in` pass.
///
/// A top-level domain counts at the end of the name or before a character that cannot continue a domain
/// (`aliceexample.com-call`). Only letters form a top-level domain, so `release-1.2.3` and `v2.0` never match,
/// and `team.sync`, `meeting.notes` and `project.x` pass because their last label is not a listed domain.
enum EmailAddressDetector {
    /// The shortest run of letters and digits before an `otherTopLevelDomains` entry that rule 4 refuses.
    static let minimumLabelBeforeOtherDomain = 10
    /// Provider labels shorter than this match only after a separator, never glued to the local part.
    static let shortestGluedProviderLabel = 4

    static func detect(_ name: UnsafeBufferPointer<UInt8>) -> RoomNameRule? {
        for index in name.indices where name[index] == RoomNameBytes.at {
            if index > 0, index + 1 < name.count, Self.isAddressCharacter(name[index - 1]),
                Self.isAddressCharacter(name[index + 1])
            {
                return .atSign
            }
        }
        for dot in name.indices where name[dot] == RoomNameBytes.dot && dot > 0 {
            guard let domain = Self.topLevelDomain(in: name, afterDot: dot) else { continue }
            if let rule = Self.rule(for: name, domain: domain, dot: dot) { return rule }
        }
        return nil
    }

    /// The listed top-level domain (one or two labels of letters) that follows `name[dot]` and ends the name
    /// or stands before a character that cannot continue a domain.
    private static func topLevelDomain(in name: UnsafeBufferPointer<UInt8>, afterDot dot: Int) -> String? {
        let first = Self.letters(in: name, from: dot + 1)
        guard first > dot + 1 else { return nil }
        if Self.endsDomain(name, at: first) {
            let label = String(decoding: UnsafeBufferPointer(rebasing: name[(dot + 1)..<first]), as: UTF8.self)
            return Self.isListed(label) ? label : nil
        }
        guard name[first] == RoomNameBytes.dot else { return nil }
        let second = Self.letters(in: name, from: first + 1)
        guard second > first + 1, Self.endsDomain(name, at: second) else { return nil }
        let labels = String(decoding: UnsafeBufferPointer(rebasing: name[(dot + 1)..<second]), as: UTF8.self)
        return Self.mailTopLevelDomains.contains(labels) ? labels : nil
    }

    private static func rule(for name: UnsafeBufferPointer<UInt8>, domain: String, dot: Int) -> RoomNameRule? {
        if let provider = Self.provider(in: name, before: dot, topLevelDomain: domain) {
            return .mailProvider("\(provider).\(domain)")
        }
        if Self.mailTopLevelDomains.contains(domain) {
            // The label before the dot: letters, digits, hyphens and non-ASCII characters.
            var letters = 0
            var index = dot - 1
            while index >= 0 {
                let byte = name[index]
                guard
                    RoomNameBytes.isAlphanumeric(byte) || byte == RoomNameBytes.hyphen || RoomNameBytes.isNonASCII(byte)
                else { break }
                if RoomNameBytes.isLetter(byte) || RoomNameBytes.isNonASCIILead(byte) { letters += 1 }
                index -= 1
            }
            return letters >= 2 ? .mailDomain(domain) : nil
        }
        var run = 0
        var index = dot - 1
        while index >= 0, RoomNameBytes.isAlphanumeric(name[index]) {
            run += 1
            index -= 1
        }
        return run >= Self.minimumLabelBeforeOtherDomain ? .longLabelBeforeDomain(domain) : nil
    }

    /// The mail provider whose domain label ends `name[..<dot]` after a local part, e.g. `gmail` in
    /// `bob.smithgmail.com`. A bare provider domain (`gmail.com`) has no local part and is left to rule 3.
    private static func provider(
        in name: UnsafeBufferPointer<UInt8>,
        before dot: Int,
        topLevelDomain: String
    )
        -> String?
    {
        let providers = Self.mailProviders
        var next = 0
        while let index = providers.labels.nextSuffix(of: name, endingAt: dot, from: next) {
            next = index + 1
            let domains = providers.topLevelDomains[index]
            guard domains.isEmpty || domains.contains(topLevelDomain) else { continue }
            let length = providers.labels.length(at: index)
            let start = dot - length
            // A bare provider domain (`gmail.com`) has no local part, and no shorter label (`mail`) may claim `g`.
            guard start > 0 else { return nil }
            let before = name[start - 1]
            // A label of three characters or fewer (`me`, `pm`, `163`) is too often the end of a word (`acme.com`)
            // to match glued: it needs a separator before it (`tom.me.com`).
            let glued = RoomNameBytes.isAlphanumeric(before) || RoomNameBytes.isNonASCII(before)
            if Self.isAddressCharacter(before), !(glued && length < Self.shortestGluedProviderLabel) {
                return providers.labels.string(at: index)
            }
        }
        return nil
    }

    private static func isListed(_ label: String) -> Bool {
        Self.mailTopLevelDomains.contains(label) || Self.otherTopLevelDomains.contains(label)
    }

    /// The index after the run of `a`–`z` that starts at `start`.
    private static func letters(in name: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var index = start
        while index < name.count, RoomNameBytes.isLetter(name[index]) { index += 1 }
        return index
    }

    /// Whether a domain can end before `name[index]`: the end of the name, or a character that is not a
    /// letter, digit, dot or non-ASCII character (`-`, `_`, `~`, `+`, `/`, a space…).
    private static func endsDomain(_ name: UnsafeBufferPointer<UInt8>, at index: Int) -> Bool {
        guard index < name.count else { return true }
        let byte = name[index]
        return !(RoomNameBytes.isAlphanumeric(byte) || byte == RoomNameBytes.dot || RoomNameBytes.isNonASCII(byte))
    }

    /// A character that can end a local part or start a domain.
    private static func isAddressCharacter(_ byte: UInt8) -> Bool {
        RoomNameBytes.isAlphanumeric(byte) || RoomNameBytes.isNonASCII(byte) || byte == RoomNameBytes.dot
            || byte == RoomNameBytes.hyphen || byte == RoomNameBytes.underscore || byte == RoomNameBytes.plus
    }
}
