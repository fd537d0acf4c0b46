import ParleyCore
import ParleyXML

/// Jitsi's `mod_presence_identity` (`util.lib.lua` `update_presence_identity`): on a token host, every presence a
/// session sends to a JID loses any `<identity/>` the client put in (so none can be spoofed) and, when the
/// session's token has `context.user`, carries the token's user and group instead, which lib-jitsi-meet and Jicofo
/// read from the occupant's presence:
///
/// ```xml
/// <presence to='retro@muc.meet.jitsi/3f9a1c7e'>…
///   <identity><user><id>u1</id><moderator>true</moderator><name>Alice</name></user><group>g1</group></identity>
/// </presence>
/// ```
///
/// The user's scalar members become elements in key order (Jitsi's `tostring` of each value); nested values are
/// left out.
enum PresenceIdentity {
    static func apply(to stanza: Stanza, claims: TokenClaims?) -> Stanza {
        var body = stanza.body
        body.removeChildren { $0.name == "identity" }
        if case .object(let members) = claims?.user {
            var user = XMLElement(name: "user", namespace: Namespace.client)
            for key in members.keys.sorted() where Self.isElementName(key) {
                guard let value = members[key].flatMap(Self.text) else { continue }
                var field = XMLElement(name: key, namespace: Namespace.client)
                field.append(text: value)
                user.append(field)
            }
            var identity = XMLElement(name: "identity", namespace: Namespace.client)
            identity.append(user)
            if let group = claims?.group.flatMap(Self.text) {
                var element = XMLElement(name: "group", namespace: Namespace.client)
                element.append(text: group)
                identity.append(element)
            }
            body.append(identity)
        }
        return Stanza(unchecked: body, kind: .presence, from: stanza.from, to: stanza.to)
    }

    /// Whether `key` can be an element name as it is: ASCII letters, digits, `_`, `-`, `.`, starting with a letter
    /// or `_` (a token is signed, but its keys still must not break the XML every occupant receives).
    private static func isElementName(_ key: String) -> Bool {
        guard let first = key.utf8.first, key.utf8.count <= 64 else { return false }
        func letter(_ c: UInt8) -> Bool { (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F }
        guard letter(first) else { return false }
        return key.utf8.allSatisfy { letter($0) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x2E }
    }

    /// Characters XML 1.0 allows (§2.2): no C0 controls but tab, newline and carriage return; no U+FFFE, U+FFFF.
    private static func isXMLText(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { scalar in
            switch scalar.value {
            case 0x9, 0xA, 0xD: true
            case 0x0..<0x20, 0xFFFE, 0xFFFF: false
            default: true
            }
        }
    }

    /// A scalar as text: strings as they are, whole numbers without a fraction, booleans as `true`/`false`.
    private static func text(_ value: JSONValue) -> String? {
        switch value {
        case .string(let text): return Self.isXMLText(text) ? text : nil
        case .bool(let flag): return flag ? "true" : "false"
        case .number(let number):
            if number.rounded() == number, abs(number) < 1e15 { return String(Int64(number)) }
            return String(number)
        case .null, .array, .object: return nil
        }
    }
}
