/// The number a fan-out update carries so that each receiver can tell which update it got: the last child of the
/// update, `<load-tag xmlns='urn:parley:load'>ID</load-tag>`, an extension element that an XMPP server relays
/// unchanged with the rest of the presence (RFC 6121 §4.7.2, XEP-0045 §7.7). ID = sender's client number ×
/// `--updates` + the update's number, so the tags of a run are 0 ..< clients × updates.
///
/// Reading the tag works on the raw bytes (`ElementView`): the namespace, the end of that start tag, then decimal
/// digits up to `<`, whatever quotes or prefix the server wrote. Anything else (no digits, too many, a stray byte)
/// is no tag.
public enum DeliveryTag {
    public static let namespace = "urn:parley:load"
    /// Tags have at most nine digits.
    public static let maxDigits = 9

    /// The tag in `element`, or nil when it carries none (or a malformed one).
    public static func value(in element: ElementView) -> Int? {
        guard let found = element.firstIndex(of: "urn:parley:load", from: 0) else { return nil }
        let bytes = element.bytes
        var index = found
        while index < bytes.count && bytes[index] != UInt8(ascii: ">") { index += 1 }
        // A self-closing start tag (`…/>`) has no content: no tag.
        guard index < bytes.count, index > 0, bytes[index - 1] != UInt8(ascii: "/") else { return nil }
        index += 1
        var value = 0
        var digits = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "<") { break }
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte), digits < Self.maxDigits else { return nil }
            value = value * 10 + Int(byte &- UInt8(ascii: "0"))
            digits += 1
            index += 1
        }
        guard digits > 0, index < bytes.count else { return nil }
        return value
    }
}
