/// Finds phone numbers in a normalised room name.
///
/// E.164 numbers have at most 15 digits (ITU-T E.164 §6); national numbers with their trunk prefix have 7 or
/// more in practice. Jitsi's client strips `+`, `(`, `)`, `/` and spaces from the URL path, so
/// `+49 (176) 1234-5678` arrives as `49176`…; separators that survive are `-`, `.`, `_`.
///
/// 1. A name made only of digits and separators (an optional leading `+`, `00` or `tel:`) with 7 to 15 digits:
///    `+4917612345678`, `4917612345678`, `0176-1234-5678`, `030.1234567`, `555123-4567`, `tel:+15551234567`.
/// 2. A name with other characters holding a run of 9 to 15 digits (single separators between the groups
///    allowed): `alice4917612345678`, `call-0176-1234-5678`.
///
/// Not phone numbers: digits inside words (`projectx2025`, `abc123`, `q3-2025-review`), calendar dates, which
/// are taken out of the count (`20251122`, `2025-11-22`, `22.11.2025`, `standup-2025-11-22-1430`), time ranges
/// (`12.30-13.45`), IPv4 addresses (`10.0.0.1`), and hexadecimal identifiers such as UUIDs, whose digit runs are
/// chance.
enum PhoneNumberDetector {
    /// Fewest digits of a name that is nothing but a number.
    static let minimumDigits = 7
    /// Fewest digits of a number inside a name with letters.
    static let minimumEmbeddedDigits = 9
    /// E.164's maximum.
    static let maximumDigits = 15

    static func detect(_ name: UnsafeBufferPointer<UInt8>) -> RoomNameRule? {
        var start = 0
        if RoomNameBytes.hasPrefix(name, "tel:") {
            start = 4
        } else if RoomNameBytes.hasPrefix(name, "tel"), name.count > 3,
            RoomNameBytes.isDigit(name[3]) || name[3] == RoomNameBytes.plus
        {
            start = 3
        }
        if start < name.count, name[start] == RoomNameBytes.plus { start += 1 }

        let body = UnsafeBufferPointer(rebasing: name[start...])
        if !body.isEmpty, body.allSatisfy({ RoomNameBytes.isDigit($0) || RoomNameBytes.isPhoneSeparator($0) }) {
            guard let digits = Self.phoneDigits(in: body), digits >= Self.minimumDigits else { return nil }
            return .phoneDigits(digits)
        }
        guard !Self.isHexIdentifier(name) else { return nil }
        return Self.embeddedRun(in: name)
    }

    /// The first run of digits (with single separators between groups) that counts as a phone number.
    private static func embeddedRun(in name: UnsafeBufferPointer<UInt8>) -> RoomNameRule? {
        var index = 0
        while index < name.count {
            guard RoomNameBytes.isDigit(name[index]) else {
                index += 1
                continue
            }
            var end = index
            var digits = 0
            while end < name.count {
                if RoomNameBytes.isDigit(name[end]) {
                    digits += 1
                    end += 1
                } else if RoomNameBytes.isPhoneSeparator(name[end]), end + 1 < name.count,
                    RoomNameBytes.isDigit(name[end + 1])
                {
                    end += 1
                } else {
                    break
                }
            }
            // Runs too short to be a number are skipped without any further work.
            if digits >= Self.minimumEmbeddedDigits,
                let counted = Self.phoneDigits(in: UnsafeBufferPointer(rebasing: name[index..<end])),
                counted >= Self.minimumEmbeddedDigits
            {
                return .phoneDigitRun(counted)
            }
            index = end
        }
        return nil
    }

    /// The number of digits `run` counts as a phone number (after an international `00`), or nil when it is
    /// longer than E.164 allows or is an IPv4 address. Dates are taken out, so what remains may be small.
    private static func phoneDigits(in run: UnsafeBufferPointer<UInt8>) -> Int? {
        var total = 0
        for byte in run where RoomNameBytes.isDigit(byte) { total += 1 }
        var digits = total
        if let first = run.firstIndex(where: RoomNameBytes.isDigit), first + 1 < run.count,
            run[first] == UInt8(ascii: "0"), run[first + 1] == UInt8(ascii: "0")
        {
            digits -= 2
        }
        guard digits <= Self.maximumDigits else { return nil }
        // Too few digits to be a number whatever the groups are: no need to look at them.
        guard total >= Self.minimumDigits else { return digits }
        let groups = DigitGroups(run)
        if groups.isIPv4Address || groups.isTimeRange { return nil }
        return digits - groups.dateDigits
    }

    /// Only hexadecimal digits and hyphens, with at least 16 digits: a UUID (breakout rooms) or a hex id.
    static func isHexIdentifier(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        var hexDigits = 0
        for byte in name {
            if RoomNameBytes.isHexDigit(byte) {
                hexDigits += 1
            } else if byte != RoomNameBytes.hyphen {
                return false
            }
        }
        return hexDigits >= 16
    }
}
