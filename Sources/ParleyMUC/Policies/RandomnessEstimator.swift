import Foundation

/// Decides whether a room name looks random, for the opt-in `random_looking_only` option.
///
/// Three shapes count (Docs/RoomNamePolicy.md has the trade-offs):
///
/// - **Hexadecimal identifier**: only hex digits and hyphens, at least 16 digits, both decimal digits and
///   `a`–`f`, and at least 2.5 bits of Shannon entropy per character. UUIDs (Jitsi's breakout rooms) and hex ids;
///   not `aaaaaaaaaaaaaaaaaaaa` or `abababababababababab`.
/// - **Mixed token**: letters and digits (separators `-`, `_`, `.`, `~` ignored), at least 8 of them,
///   switching between letters and digits at least 3 times, with at least 2.9 bits of entropy per character, and
///   not counting up or down (`a1b2c3d4`: fewer than half the steps between consecutive letters, and between
///   consecutive digits, may be 0 or ±1): `x7f3k9q2m1`, `k3j9-x2pq-7v`.
/// - **Word chain**: what jitsi-meet's welcome page suggests. `generateRoomWithoutSeparator` (jitsi/js-utils
///   `random/roomNameGenerator`) joins an adjective, a plural noun, a verb and an adverb, and the client lowers the
///   case: `GentleFlowersAttendDoubtfully` → `gentleflowersattenddoubtfully`. Without the word lists, the
///   heuristic is: only letters, at least 20 of them, vowels (`aeiouy`) making up 25–60 %, no letter three
///   times in a row, and at least 8 distinct letters.
///
/// Names people pick (`weekly-standup`, `projectx2025`, `abc123`) match none of them.
enum RandomnessEstimator {
    enum Kind: Sendable, Hashable {
        case hexIdentifier
        case mixedToken
        case wordChain
    }

    static let minimumHexDigits = 16
    static let minimumHexEntropyBitsPerCharacter = 2.5
    static let minimumTokenLength = 8
    static let minimumTransitions = 3
    static let minimumEntropyBitsPerCharacter = 2.9
    static let minimumWordChainLength = 20

    static func classify(_ name: UnsafeBufferPointer<UInt8>) -> Kind? {
        if Self.isHexIdentifier(name) { return .hexIdentifier }
        if Self.isMixedToken(name) { return .mixedToken }
        if Self.isWordChain(name) { return .wordChain }
        return nil
    }

    private static func isHexIdentifier(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        guard PhoneNumberDetector.isHexIdentifier(name),
            name.contains(where: RoomNameBytes.isDigit), name.contains(where: RoomNameBytes.isLetter)
        else { return false }
        return Self.entropy(of: name) >= Self.minimumHexEntropyBitsPerCharacter
    }

    private static func isMixedToken(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        var length = 0
        var letters = 0
        var transitions = 0
        var previousWasDigit: Bool?
        for byte in name {
            if RoomNameBytes.isAlphanumeric(byte) {
                let isDigit = RoomNameBytes.isDigit(byte)
                if let previous = previousWasDigit, previous != isDigit { transitions += 1 }
                previousWasDigit = isDigit
                length += 1
                if !isDigit { letters += 1 }
            } else if !(byte == RoomNameBytes.hyphen || byte == RoomNameBytes.underscore || byte == RoomNameBytes.dot
                || byte == UInt8(ascii: "~"))
            {
                return false
            }
        }
        guard length >= Self.minimumTokenLength, letters > 0, letters < length,
            transitions >= Self.minimumTransitions
        else { return false }
        return Self.entropy(of: name) >= Self.minimumEntropyBitsPerCharacter && !Self.isCounting(name)
    }

    /// Whether at least half the steps from one letter to the next letter, and from one digit to the next digit,
    /// are 0 or ±1 (`a1b2c3d4`, `abc123def456`): a pattern someone typed, not a random draw.
    private static func isCounting(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        var steps = 0
        var small = 0
        var previousLetter: UInt8?
        var previousDigit: UInt8?
        for byte in name {
            let isLetter = RoomNameBytes.isLetter(byte)
            guard isLetter || RoomNameBytes.isDigit(byte) else { continue }
            if let previous = isLetter ? previousLetter : previousDigit {
                steps += 1
                if (byte > previous ? byte - previous : previous - byte) <= 1 { small += 1 }
            }
            if isLetter { previousLetter = byte } else { previousDigit = byte }
        }
        return steps > 0 && small * 2 >= steps
    }

    private static func isWordChain(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        guard name.count >= Self.minimumWordChainLength else { return false }
        var vowels = 0
        var seen: UInt32 = 0
        var repeated = 1
        var previous: UInt8 = 0
        for byte in name {
            guard RoomNameBytes.isLetter(byte) else { return false }
            switch byte {
            case UInt8(ascii: "a"), UInt8(ascii: "e"), UInt8(ascii: "i"), UInt8(ascii: "o"), UInt8(ascii: "u"),
                UInt8(ascii: "y"):
                vowels += 1
            default:
                break
            }
            repeated = byte == previous ? repeated + 1 : 1
            if repeated >= 3 { return false }
            previous = byte
            seen |= 1 << UInt32(byte - UInt8(ascii: "a"))
        }
        let ratio = Double(vowels) / Double(name.count)
        return (0.25...0.6).contains(ratio) && seen.nonzeroBitCount >= 8
    }

    /// Shannon entropy, in bits per character, of the letters and digits of `name`.
    static func entropy(of name: UnsafeBufferPointer<UInt8>) -> Double {
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 36) { counts in
            counts.initialize(repeating: 0)
            var total = 0
            for byte in name {
                if RoomNameBytes.isDigit(byte) {
                    counts[Int(byte - UInt8(ascii: "0"))] += 1
                } else if RoomNameBytes.isLetter(byte) {
                    counts[10 + Int(byte - UInt8(ascii: "a"))] += 1
                } else {
                    continue
                }
                total += 1
            }
            guard total > 0 else { return 0 }
            var bits = 0.0
            for count in counts where count > 0 {
                let probability = Double(count) / Double(total)
                bits -= probability * log2(probability)
            }
            return bits
        }
    }
}
