/// Byte classes the room-name detectors share. They read a normalised (lower-cased) name as UTF-8 bytes, so
/// every check is a comparison, never a `Regex` or an allocation.
enum RoomNameBytes {
    static let at = UInt8(ascii: "@")
    static let dot = UInt8(ascii: ".")
    static let slash = UInt8(ascii: "/")
    static let plus = UInt8(ascii: "+")
    static let hyphen = UInt8(ascii: "-")
    static let underscore = UInt8(ascii: "_")
    static let percent = UInt8(ascii: "%")

    static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    /// `a`–`z`: names are lower-cased before any detector runs.
    static func isLetter(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")
    }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        self.isLetter(byte) || self.isDigit(byte)
    }

    static func isHexDigit(_ byte: UInt8) -> Bool {
        self.isDigit(byte) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f"))
    }

    static func isNonASCII(_ byte: UInt8) -> Bool {
        byte >= 0x80
    }

    /// The first byte of a non-ASCII character (not a UTF-8 continuation byte): counts as one letter.
    static func isNonASCIILead(_ byte: UInt8) -> Bool {
        byte >= 0xC0
    }

    /// The separators people put between the digit groups of a phone number. `(`, `)`, `/` and the space only
    /// arrive percent-encoded, because Jitsi's client strips them from the URL path.
    static func isPhoneSeparator(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: " "), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "/"),
            UInt8(ascii: "("), UInt8(ascii: ")"):
            true
        default:
            false
        }
    }

    /// Whether `name[start...]` begins with `prefix`.
    static func hasPrefix(_ name: UnsafeBufferPointer<UInt8>, _ prefix: StaticString, at start: Int = 0) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard start >= 0, name.count - start >= count else { return false }
        return prefix.withUTF8Buffer { prefixBytes in
            for offset in 0..<count where name[start + offset] != prefixBytes[offset] {
                return false
            }
            return true
        }
    }
}
