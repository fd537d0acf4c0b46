import Foundation

/// A room name as `RoomNamePolicy` judges it: the room JID's domain dropped, the tenant split off, each part
/// percent-decoded, NFKC-normalised and lower-cased.
///
/// Jitsi's client builds the MUC localpart with `getBackendSafeRoomName` (jitsi-meet
/// `react/features/base/util/uri.ts`): `decodeURIComponent`, NFKC, `toLowerCase`, `encodeURIComponent`,
/// `toLowerCase`. Decoding once here gives back what the user typed (after the client stripped
/// `[:?#[]@!$&'()*+,;=></"]` and whitespace from the URL path):
///
/// ```
/// caf%c3%a9-meeting               → room "café-meeting"
/// alice%40example.com             → room "alice@example.com"
/// [acme]weekly-standup            → tenant "acme", room "weekly-standup"
/// weekly-standup@muc.meet.jitsi   → room "weekly-standup" (the conference IQ's `room` attribute)
/// ```
///
/// The tenant form `[tenant]room` is what `mod_muc_domain_mapper` makes of `room@muc.tenant.meet.jitsi`
/// (Prosody pattern `^%[([^%]]+)%](.+)$`, jitsi-meet `resources/prosody-plugins/util.lib.lua`).
struct NormalizedRoomName: Sendable, Hashable {
    /// The room part, normalised.
    var room: String
    /// The tenant, normalised, when the name had the form `[tenant]room` or a tenant's virtual MUC domain.
    var tenant: String?
    /// The domain dropped from a room JID (`muc.meet.jitsi`), lower-cased; nil when the input was a localpart.
    var roomJIDDomain: String?

    /// `[tenant]room`, or the room alone.
    var whole: String {
        guard let tenant = self.tenant else { return self.room }
        return "[\(tenant)]\(self.room)"
    }

    /// Normalises `input`, a MUC localpart or a room bare JID.
    ///
    /// A literal `@` (never part of a localpart) starts a domain. When `roomDomain` says that domain is one of
    /// this server's MUC domains, the localpart is the room and the domain is dropped; `roomDomain` may also
    /// return the tenant of a virtual tenant domain (`muc.acme.meet.jitsi`). Otherwise, and for anything with a
    /// resource (`a@b/c`), the whole input is the name, so `alice@example.com` is judged as it stands.
    init(_ input: String, roomDomain: (String) -> (isRoomDomain: Bool, tenant: Substring?)) {
        var name = Substring(input)
        var domainTenant: Substring?
        let utf8 = input.utf8
        if let at = utf8.firstIndex(of: RoomNameBytes.at), at != utf8.startIndex,
            !utf8[..<at].contains(RoomNameBytes.slash), !utf8[at...].contains(RoomNameBytes.slash)
        {
            let domain = input[utf8.index(after: at)...].lowercased()
            let match = roomDomain(domain)
            if match.isRoomDomain {
                name = input[..<at]
                domainTenant = match.tenant
                self.roomJIDDomain = domain
            }
        }

        // `[tenant]room`: the tenant is non-empty, holds no `]`, and a room follows.
        if name.utf8.first == UInt8(ascii: "["), let close = name.utf8.firstIndex(of: UInt8(ascii: "]")),
            name.utf8.distance(from: name.utf8.startIndex, to: close) >= 2,
            name.utf8.index(after: close) != name.endIndex
        {
            self.tenant = Self.normalize(name[name.utf8.index(after: name.startIndex)..<close])
            self.room = Self.normalize(name[name.utf8.index(after: close)...])
        } else {
            self.tenant = domainTenant.map(Self.normalize)
            self.room = Self.normalize(name)
        }
    }

    /// Percent-decodes once (`%40` → `@`; an invalid escape stays as written), then NFKC and lower case.
    /// A part that is plain lower-case ASCII without `%` comes back as it is, with no work.
    static func normalize(_ part: Substring) -> String {
        let needsWork = part.utf8.contains { byte in
            byte == RoomNameBytes.percent || byte >= 0x80 || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
        }
        guard needsWork else { return String(part) }

        let source = Array(part.utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(source.count)
        var index = 0
        while index < source.count {
            let byte = source[index]
            if byte == RoomNameBytes.percent, index + 2 < source.count,
                let high = Self.hexValue(source[index + 1]), let low = Self.hexValue(source[index + 2])
            {
                bytes.append(high << 4 | low)
                index += 3
            } else {
                bytes.append(byte)
                index += 1
            }
        }
        if bytes.allSatisfy({ $0 < 0x80 }) {
            for position in bytes.indices
            where bytes[position] >= UInt8(ascii: "A") && bytes[position] <= UInt8(ascii: "Z") {
                bytes[position] |= 0x20
            }
            return String(decoding: bytes, as: UTF8.self)
        }
        // Invalid UTF-8 (`%ff`) becomes U+FFFD rather than failing: the name is still judged.
        return String(decoding: bytes, as: UTF8.self).precomposedStringWithCompatibilityMapping.lowercased()
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
