/// Strict Base64 (RFC 4648 §4) as SASL needs it (RFC 6120 §6.4.2): padding required, no whitespace,
/// no other characters. Hand-written so a network payload never reaches Foundation's lenient decoder.
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let reverse: [Int16] = {
        var table = [Int16](repeating: -1, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = Int16(i) }
        return table
    }()

    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        let input = Array(bytes)
        var out = [UInt8]()
        out.reserveCapacity((input.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= input.count {
            let n = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(alphabet[Int(n >> 6 & 63)])
            out.append(alphabet[Int(n & 63)])
            i += 3
        }
        let rest = input.count - i
        if rest == 1 {
            let n = UInt32(input[i]) << 16
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(UInt8(ascii: "="))
            out.append(UInt8(ascii: "="))
        } else if rest == 2 {
            let n = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(alphabet[Int(n >> 6 & 63)])
            out.append(UInt8(ascii: "="))
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes strictly; `nil` on any deviation (RFC 6120 §6.4.2 says to fail with `incorrect-encoding`).
    public static func decode(_ string: some StringProtocol) -> [UInt8]? {
        let input = Array(string.utf8)
        guard input.count % 4 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(input.count / 4 * 3)
        var i = 0
        while i < input.count {
            let isLast = i + 4 == input.count
            let c0 = reverse[Int(input[i])]
            let c1 = reverse[Int(input[i + 1])]
            guard c0 >= 0, c1 >= 0 else { return nil }
            let pad2 = input[i + 2] == UInt8(ascii: "=")
            let pad3 = input[i + 3] == UInt8(ascii: "=")
            if pad2 || pad3 {
                guard isLast, pad3 else { return nil }
            }
            let c2: Int16 = pad2 ? 0 : reverse[Int(input[i + 2])]
            let c3: Int16 = pad3 ? 0 : reverse[Int(input[i + 3])]
            guard c2 >= 0, c3 >= 0 else { return nil }
            let n = UInt32(c0) << 18 | UInt32(c1) << 12 | UInt32(c2) << 6 | UInt32(c3)
            out.append(UInt8(n >> 16 & 0xFF))
            if !pad2 {
                out.append(UInt8(n >> 8 & 0xFF))
            } else if n & 0xFFFF != 0 {
                return nil  // non-canonical padding bits
            }
            if !pad3 {
                out.append(UInt8(n & 0xFF))
            } else if !pad2 && n & 0xFF != 0 {
                return nil
            }
            i += 4
        }
        return out
    }
}
