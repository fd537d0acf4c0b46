/// Strict unpadded base64url (RFC 4648 §5), as JSON Web Tokens use it (RFC 7515 §2, "Base64url Encoding"):
/// the URL-safe alphabet, no `=` padding, no whitespace, and the unused bits of the last character zero, so every
/// byte string has exactly one encoding. Anything else is refused; a token is never decoded leniently.
public enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    private static let reverse: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (index, character) in alphabet.enumerated() { table[Int(character)] = Int8(index) }
        return table
    }()

    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        let padded = Base64.encode(bytes)
        var out = [UInt8]()
        out.reserveCapacity(padded.utf8.count)
        for byte in padded.utf8 {
            switch byte {
            case UInt8(ascii: "+"): out.append(UInt8(ascii: "-"))
            case UInt8(ascii: "/"): out.append(UInt8(ascii: "_"))
            case UInt8(ascii: "="): break
            default: out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes of `text`, or nil when it is not canonical unpadded base64url.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        self.decode(Array(text.utf8))
    }

    /// The bytes of `input`, or nil when it is not canonical unpadded base64url.
    public static func decode(_ input: some Collection<UInt8>) -> [UInt8]? {
        // A single character left over carries 6 bits: not a whole byte, never produced by an encoder.
        guard input.count % 4 != 1 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(input.count / 4 * 3 + 2)
        var accumulator: UInt32 = 0
        var bits = 0
        for character in input {
            let value = self.reverse[Int(character)]
            guard value >= 0 else { return nil }
            accumulator = (accumulator << 6 | UInt32(value)) & 0xFFFF
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        // The bits left over (2 or 4) must be zero (RFC 4648 §3.5: canonical encoding).
        guard accumulator & ((1 << UInt32(bits)) - 1) == 0 else { return nil }
        return out
    }
}
